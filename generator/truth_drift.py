"""Drift truth: which landing columns change from the drift day and by how much (planted and observed in
a reference window before and a current window after it), which model inputs move with them, and the
seasonality that is not drift (each day's demand factor in daily_profile.csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from generator import truth_churn, truth_io
from generator.config import Params
from generator.labels import label_observable
from generator.reference import CATEGORIES
from generator.simulate import drift
from generator.simulate.calendar import DAY_SECONDS, WEEKDAY_FACTOR, demand_factor
from generator.simulate.customers import VISIT_RATE, VISIT_WEIGHT
from generator.simulate.tables import Table
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


MART = "fm_customer_churn_features"
_PLANTED_SESSIONS = drift.VISIT_FACTOR_AFTER
_PLANTED_ORDERS = (
    drift.VISIT_FACTOR_AFTER * drift.mean_device_conversion(True) / drift.mean_device_conversion(False)
)


def _window_sums(per_day: np.ndarray, day: int, width: int) -> float:
    """Sum of a per-day array over the mart's window [day - width, day) (clipped to the data)."""
    return float(per_day[max(0, day - width) : day].sum())


def _active_weight(world: World) -> np.ndarray:
    """Per day: the sum of VISIT_WEIGHT over the customers active that day (signed up before it, not yet
    churned at its start), from difference arrays (O(customers + days))."""
    days, c = world.params.days, world.customers
    n = c.n
    first = np.maximum(c.signup_day[:n] + 1, 0)
    churned = c.churned_day[:n]
    last = np.where(churned >= 0, churned, days - 1)  # churn is drawn at the end of its day
    keep = first <= last
    weight = VISIT_WEIGHT[c.segment[:n]][keep]
    delta = np.bincount(first[keep], weight, days + 1) - np.bincount(last[keep] + 1, weight, days + 1)
    return np.cumsum(delta)[:days]


def model_inputs(params: Params, world: World, clean: dict[str, Table] | None) -> dict[str, Any]:
    """The churn mart's inputs the drift moves, in numbers: the planted ratio after / before per column,
    and per as-of date of the mart's grid the columns' means over the grid's customers, computed from the
    generated rows the way the mart computes them (windows [as_of_date - w days, as_of_date)), beside the
    expected sessions under the process with and without the drift."""
    days = params.days
    s = world.sessions
    known = s["customer"] >= 0
    session_day = (s["start"][known] - world.epoch0) // DAY_SECONDS
    sessions_per_day = np.bincount(session_day, minlength=days)[:days]
    demand = np.array([demand_factor(params.date_of(d)) for d in range(days)])
    drifted = np.arange(days) >= params.drift_day
    base = VISIT_RATE * _active_weight(world) * demand  # expected identified sessions per day, no drift
    with_drift = base * np.where(drifted, drift.VISIT_FACTOR_AFTER, 1.0)
    if clean is not None:
        _, order_day = truth_churn.order_days(world, clean)
        orders_per_day = np.bincount(order_day[order_day < days], minlength=days)[:days]
    grid = []
    for day in sorted(world.as_of):
        truth = world.as_of[day]
        n = len(truth.probability)
        row: dict[str, Any] = {
            "as_of_date": params.date_of(day).isoformat(),
            "customers": n,
            "drifted_days_last_30d": int(drifted[max(0, day - 30) : day].sum()),
            "drifted_days_last_90d": int(drifted[max(0, day - 90) : day].sum()),
            "sessions_last_30d": {
                "mean": round(_window_sums(sessions_per_day, day, 30) / n, 6),
                "expected": round(_window_sums(with_drift, day, 30) / n, 6),
                "expected_without_drift": round(_window_sums(base, day, 30) / n, 6),
            },
        }
        if clean is not None:
            row["orders_last_30d"] = {"mean": round(_window_sums(orders_per_day, day, 30) / n, 6)}
            row["orders_last_90d"] = {"mean": round(_window_sums(orders_per_day, day, 90) / n, 6)}
        if label_observable(day, days):
            row["churned_next_60d"] = {"expected_rate": round(float(truth.probability.mean()), 6)}
        grid.append(row)
    if clean is not None:  # the realised label rate, as churn_labels.csv has it
        labels = truth_churn.realised_labels(world, clean)
        for row, day in zip(grid, sorted(world.as_of), strict=True):
            if "churned_next_60d" in row:
                row["churned_next_60d"]["rate"] = round(float(labels[day].mean()), 6)
    return {
        "mart": MART,
        "columns": {
            "sessions_last_30d": {
                "planted_ratio_after_before": round(_PLANTED_SESSIONS, 6),
                "derivation": "visit_factor after / before: identified sessions per active customer and day",
            },
            "orders_last_30d": {
                "planted_ratio_after_before": round(_PLANTED_ORDERS, 6),
                "derivation": (
                    "visit_factor x mean_device_conversion_factor, after / before (orders = sessions x "
                    "conversion), other things equal: same customers and demand, no experiment or campaign "
                    "running in either window"
                ),
            },
            "orders_last_90d": {
                "planted_ratio_after_before": round(_PLANTED_ORDERS, 6),
                "derivation": "as orders_last_30d, once all 90 days of the window are after the drift",
            },
            "churned_next_60d": {
                "planted_ratio_after_before": None,
                "derivation": (
                    "rarer after the drift (more sessions, so more orders); no fixed ratio: the expected "
                    "rate of an as-of date is the mean churn_probability of its rows (churn_labels.csv)"
                ),
            },
        },
        "as_of": grid,
        "note": (
            "per as-of date of the mart's grid: customers = rows of the grid (signed up before it); mean = "
            "column total / customers, the column computed like the mart (identified sessions started, "
            "orders placed, in the w days before as_of_date; every landed order whatever its status); "
            "sessions_last_30d.expected = VISIT_RATE x sum over the window's days of demand_factor x "
            "visit_factor x the visit weights of the customers active that day (who churned when is in "
            "customer_churn.csv), divided by customers; expected_without_drift takes visit_factor 1. "
            "mean / expected_without_drift, after over before the drift day, is the drift's visit_factor "
            "net of seasonality and churn. churned_next_60d: rate = realised label rate, expected_rate = "
            "mean churn_probability, on as-of dates whose label is observable. A session or order of the "
            "last max_late_days days before an as-of date that lands after the last day is counted here, "
            "not in the mart."
        ),
    }


def drift_truth(params: Params, world: World, clean: dict[str, Table] | None = None) -> dict[str, Any]:
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
        "model_inputs": model_inputs(params, world, clean),
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


def write(truth_dir: Path, params: Params, world: World, clean: dict[str, Table]) -> None:
    truth_io.write_json(truth_dir / "drift.json", drift_truth(params, world, clean))
    truth_io.write_columns(truth_dir / PROFILE_FILE, profile_columns(params))
