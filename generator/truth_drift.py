"""Drift truth: which landing columns change from the drift day and by how much (planted and observed in
a reference window before and a current window after it), which model inputs move with them, and the
seasonality that is not drift (each day's demand factor in daily_profile.csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from generator import truth_io
from generator.config import Params
from generator.reference import CATEGORIES
from generator.simulate import drift
from generator.simulate.calendar import DAY_SECONDS, WEEKDAY_FACTOR, demand_factor
from generator.simulate.customers import VISIT_RATE
from generator.simulate.world import World

WINDOW_DAYS = 28  # four whole weeks each side: every weekday counts equally in both windows
PROFILE_FILE = "daily_profile.csv"
_CATEGORY_CODES = [c[0] for c in CATEGORIES]
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def windows(params: Params) -> dict[str, tuple[int, int]] | None:
    """Reference = up to WINDOW_DAYS days before the drift day, current = up to WINDOW_DAYS days from
    it; both inside the horizon (None when either would be empty)."""
    d = params.drift_day
    ref, cur = (max(0, d - WINDOW_DAYS), d - 1), (d, min(params.days, d + WINDOW_DAYS) - 1)
    return {"reference": ref, "current": cur} if ref[0] <= ref[1] and cur[0] <= cur[1] else None


def _shares(counts: np.ndarray, names: list[str]) -> dict[str, Any]:
    total = int(counts.sum())
    return {
        "counts": dict(zip(names, counts.tolist(), strict=True)),
        "shares": {
            name: round(float(c) / total, 6) if total else None for name, c in zip(names, counts, strict=True)
        },
    }


def _observed(world: World, lo: int, hi: int) -> dict[str, Any]:
    s = world.sessions
    day = (s["start"] - world.epoch0) // DAY_SECONDS
    inside = (day >= lo) & (day <= hi)
    known = inside & (s["customer"] >= 0)
    demand = sum(demand_factor(world.params.date_of(d)) for d in range(lo, hi + 1))
    sessions = int(known.sum())
    return {
        "from": world.params.date_of(lo).isoformat(),
        "to": world.params.date_of(hi).isoformat(),
        "device_type": _shares(
            np.bincount(s["device"][inside], minlength=len(drift.DEVICES)), list(drift.DEVICES)
        ),
        "product_view_category": _shares(world.viewed_categories[lo : hi + 1].sum(axis=0), _CATEGORY_CODES),
        "identified_sessions": sessions,
        "identified_sessions_per_demand_day": round(sessions / demand, 6),
        "identified_session_conversion": round(float(s["converted"][known].mean()), 6) if sessions else None,
    }


def _planted() -> dict[str, Any]:
    def both(before: Any, after: Any) -> dict[str, Any]:
        return {"before": before, "after": after}

    devices = list(drift.DEVICES)
    return {
        "device_share": both(
            dict(zip(devices, drift.DEVICE_SHARE_BEFORE.tolist(), strict=True)),
            dict(zip(devices, drift.DEVICE_SHARE_AFTER.tolist(), strict=True)),
        ),
        "category_weight": both(
            dict(zip(_CATEGORY_CODES, drift.category_weights(False).tolist(), strict=True)),
            dict(zip(_CATEGORY_CODES, drift.category_weights(True).tolist(), strict=True)),
        ),
        "visit_factor": both(1.0, drift.VISIT_FACTOR_AFTER),
        "device_conversion_factor": dict(
            zip(devices, np.round(drift.DEVICE_CONVERSION, 6).tolist(), strict=True)
        ),
        "mean_device_conversion_factor": both(
            round(drift.mean_device_conversion(False), 6), round(drift.mean_device_conversion(True), 6)
        ),
    }


def drift_truth(params: Params, world: World) -> dict[str, Any]:
    span = windows(params)
    observed = {name: _observed(world, lo, hi) for name, (lo, hi) in span.items()} if span else None
    return {
        "drift_date": params.drift_date.isoformat() if params.drift_date else None,
        "in_horizon": params.drift_day < params.days,
        "planted": _planted(),
        "columns": {
            "web_events.device_type": "share of sessions per device: device_share before -> after",
            "web_events.product_id (product_view) -> products.category_code": (
                "share of product views per category: every product choice is weighted by category_weight"
            ),
            "web_events.session_id per customer_id": (
                "identified sessions per customer and day x visit_factor (before the day's demand factor)"
            ),
            "orders per identified session": (
                "conversion x the session device's factor; more mobile sessions convert less on average"
            ),
        },
        "model_inputs": {
            "fm_customer_churn_features.sessions_last_30d": "x visit_factor once its 30 days are after the drift",
            "fm_customer_churn_features.orders_last_30d / orders_last_90d": (
                "x visit_factor x mean_device_conversion_factor after / before (about +15 %)"
            ),
            "fm_customer_churn_features.churned_next_60d": "rarer after the drift (more orders per customer)",
        },
        "observed": observed,
        "observed_note": (
            f"windows of up to {WINDOW_DAYS} days before and from drift_date, inside the data; counts are "
            "of the clean data (distinct sessions, product_view events); identified_sessions_per_demand_day "
            "divides by the sum of the days' demand factors (daily_profile.csv) to take seasonality out"
        ),
        "not_drift": {
            "weekday_factor": dict(zip(_WEEKDAYS, WEEKDAY_FACTOR, strict=True)),
            "yearly": "1 + 0.15 x cos(2 pi (day_of_year - 350) / 365.25), peaking in December",
            "events": "Black Friday week up to x2.6, December 1-21 x1.3, December 24-26 x0.6",
            "daily_profile": PROFILE_FILE,
            "identified_sessions_per_customer_day_at_demand_1": {"visit_rate_per_weight": VISIT_RATE},
        },
        "monitor": (
            "compare shares (device, category, conversion) between the windows directly: seasonality moves "
            "volumes, not shares; compare volumes only after dividing by demand_factor, or weekday by weekday"
        ),
    }


def profile_columns(params: Params) -> dict[str, pa.Array]:
    dates = [params.date_of(d) for d in range(params.days)]
    return {
        "date": pa.array([d.isoformat() for d in dates], pa.string()),
        "weekday": pa.array([_WEEKDAYS[d.weekday()] for d in dates], pa.string()),
        "demand_factor": truth_io.decimals(np.array([demand_factor(d) for d in dates])),
        "drifted": truth_io.bools(np.arange(params.days) >= params.drift_day),
    }


def write(truth_dir: Path, params: Params, world: World) -> None:
    truth_io.write_json(truth_dir / "drift.json", drift_truth(params, world))
    truth_io.write_columns(truth_dir / PROFILE_FILE, profile_columns(params))
