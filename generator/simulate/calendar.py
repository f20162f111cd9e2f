"""Time: epoch seconds per simulated day, demand seasonality and time-of-day profiles."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from generator.reference import black_friday

DAY_SECONDS = 86_400
WEEKDAY_FACTOR = (1.05, 1.0, 1.0, 1.0, 0.95, 0.88, 1.12)  # Monday .. Sunday
# sessions per hour of day (UTC), evening heavy
_HOURLY = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.8, 4, 4.2, 4, 3.8, 3.8, 4, 4.5, 5.2, 6, 6.2, 5]
)


def day_epoch(date: dt.date) -> int:
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())


def demand_factor(date: dt.date) -> float:
    """Relative session volume: yearly wave peaking in December, Black Friday week, Christmas dip."""
    doy = date.timetuple().tm_yday
    factor = 1.0 + 0.15 * math.cos(2 * math.pi * (doy - 350) / 365.25)
    gap = abs((date - black_friday(date.year)).days)
    if gap <= 4:
        factor *= 1.0 + 1.6 * math.exp(-gap)
    if date.month == 12 and 1 <= date.day <= 21:
        factor *= 1.3
    elif date.month == 12 and 24 <= date.day <= 26:
        factor *= 0.6
    return factor * WEEKDAY_FACTOR[date.weekday()]


def session_starts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight; sessions start before 22:00 so they end the same day."""
    hours = rng.choice(len(_HOURLY), size=n, p=_HOURLY / _HOURLY.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)
