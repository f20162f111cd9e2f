"""The planted drift. From the drift day on, sessions lean to mobile, baskets and product views lean to
electronics, and customers visit more often while a session converts a little less (mobile converts
worse): the landing data's daily distributions shift, and so does a churn-model input (sessions).

Weekday and yearly seasonality (calendar.demand_factor) are not drift: they act before and after alike.
"""

from __future__ import annotations

import numpy as np

from generator.reference import CATEGORIES

DEVICES = ("desktop", "mobile", "tablet")
DEVICE_SHARE_BEFORE = np.array([0.47, 0.45, 0.08])
DEVICE_SHARE_AFTER = np.array([0.32, 0.62, 0.06])
# a session's base conversion is multiplied by its device's factor; scaled so that the mean factor is
# exactly 1 before the drift (so the segment conversion rates keep their meaning until then)
_RAW_DEVICE_CONVERSION = np.array([1.10, 0.85, 1.00])
DEVICE_CONVERSION = _RAW_DEVICE_CONVERSION / float(_RAW_DEVICE_CONVERSION @ DEVICE_SHARE_BEFORE)
VISIT_FACTOR_AFTER = 1.2  # identified sessions per customer and day, relative to before the drift
_CATEGORY_WEIGHT_BEFORE = np.array([c[4] for c in CATEGORIES])
_CATEGORY_WEIGHT_AFTER = np.array([c[5] for c in CATEGORIES])


def device_share(drifted: bool) -> np.ndarray:
    return DEVICE_SHARE_AFTER if drifted else DEVICE_SHARE_BEFORE


def category_weights(drifted: bool) -> np.ndarray:
    """Relative pull of each category on every product choice (times popularity and taste)."""
    return _CATEGORY_WEIGHT_AFTER if drifted else _CATEGORY_WEIGHT_BEFORE


def visit_factor(drifted: bool) -> float:
    return VISIT_FACTOR_AFTER if drifted else 1.0


def mean_device_conversion(drifted: bool) -> float:
    """The expected device factor of a session: 1 before the drift, lower after (more mobile)."""
    return float(DEVICE_CONVERSION @ device_share(drifted))
