"""drift.json says which landing columns change from the drift day and by how much: its observed numbers
are recomputed from the landing files, the planted change shows in them, and seasonality is stated."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from gen_landing_io import truth_csv, valid_rows
from gen_support import TINY_PARAMS

from generator.config import Params
from generator.pools import build_pools
from generator.simulate.calendar import demand_factor
from generator.simulate.world import simulate
from generator.truth_drift import drift_truth


def _drift(landing: Path) -> dict:
    return json.loads((landing / "_truth" / "drift.json").read_text())


def _categories_by_day(landing: Path) -> dict[int, list[tuple[str, str]]]:
    """product_id -> (updated_at day, category_code) of each version, in time order."""
    versions: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for r in valid_rows(landing, "products", "product_id"):
        versions[int(str(r["product_id"]))].append(
            (str(r["updated_at"])[:10], str(r["category_code"]).strip().lower())
        )
    return {k: sorted(v) for k, v in versions.items()}


def _category_on(versions: list[tuple[str, str]], day: str) -> str:
    """The category of the latest version updated on or before `day` (the simulation's state that day)."""
    return [c for d, c in versions if d <= day][-1]


def _window_stats(landing: Path, first: str, last: str) -> dict:
    events = {str(e["event_id"]): e for e in valid_rows(landing, "web_events", "event_id")}  # de-duplicated
    categories = _categories_by_day(landing)
    device: dict[str, str] = {}
    known: dict[str, bool] = {}
    views: Counter[str] = Counter()
    for e in events.values():
        day = str(e["occurred_at"])[:10]
        if not first <= day <= last:
            continue
        session = str(e["session_id"])
        device[session] = str(e["device_type"])
        if e.get("customer_id") is not None:
            known[session] = known.get(session, False) or e["event_type"] == "purchase"
        if e["event_type"] == "product_view":
            views[_category_on(categories[int(str(e["product_id"]))], day)] += 1
    return {"device": Counter(device.values()), "views": views, "known": known}


def test_drift_json_matches_the_landing_data_before_and_after_the_day(tiny: Path) -> None:
    drift = _drift(tiny)
    assert drift["in_horizon"] and drift["drift_date"] == TINY_PARAMS.drift_date.isoformat()
    for name in ("reference", "current"):
        observed = drift["observed"][name]
        stats = _window_stats(tiny, observed["from"], observed["to"])
        assert {k: v for k, v in observed["device_type"]["counts"].items() if v} == dict(stats["device"])
        assert {k: v for k, v in observed["product_view_category"]["counts"].items() if v} == dict(
            stats["views"]
        )
        assert observed["identified_sessions"] == len(stats["known"])
        conversion = sum(stats["known"].values()) / len(stats["known"])
        assert observed["identified_session_conversion"] == pytest.approx(conversion, abs=1e-6)
    assert drift["observed"]["reference"]["to"] < drift["drift_date"] == drift["observed"]["current"]["from"]


def test_the_planted_change_shows_and_matches_the_plant() -> None:
    """At scale 0.1 (about 9,000 sessions per window), 28 days either side of the drift day."""
    params = Params(seed=11, scale=0.1, days=88, drift_date=dt.date(2025, 3, 2))
    drift = drift_truth(params, simulate(params, build_pools(params.seed)))
    planted, ref, cur = drift["planted"], drift["observed"]["reference"], drift["observed"]["current"]
    assert (ref["from"], ref["to"], cur["from"], cur["to"]) == (
        "2025-02-02",
        "2025-03-01",
        "2025-03-02",
        "2025-03-29",
    )
    for window, regime in ((ref, "before"), (cur, "after")):
        counts = window["device_type"]["counts"]
        n, mobile = sum(counts.values()), counts["mobile"]
        expected = planted["device_share"][regime]["mobile"]
        assert abs(mobile / n - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    weight = planted["category_weight"]
    shares = cur["product_view_category"]["shares"], ref["product_view_category"]["shares"]
    for category in ("electronics", "fashion_women"):  # up and down, as planted
        planted_change = np.log(weight["after"][category] / weight["before"][category])
        observed_change = np.log(shares[0][category] / shares[1][category])
        # same direction and size order: each customer's choice is renormalised over their own categories,
        # which damps a rise and can deepen a fall (about 1,000+ views of each category per window)
        assert 0.3 < observed_change / planted_change < 2.5, (category, observed_change, planted_change)
    # a model input moves: identified sessions (sessions_last_30d), net of seasonality
    ratio = cur["identified_sessions_per_demand_day"] / ref["identified_sessions_per_demand_day"]
    assert planted["visit_factor"] == {"before": 1.0, "after": 1.2}
    assert abs(ratio - 1.2) < 0.06
    conversion = cur["identified_session_conversion"] / ref["identified_session_conversion"]
    factor = planted["mean_device_conversion_factor"]
    assert conversion < 1.0 and factor["after"] < factor["before"] == 1.0  # mobile converts worse
    assert "fm_customer_churn_features.sessions_last_30d" in drift["model_inputs"]


def test_seasonality_is_stated_and_is_not_drift(tiny: Path) -> None:
    drift = _drift(tiny)
    profile = truth_csv(tiny, "daily_profile.csv")
    assert len(profile) == TINY_PARAMS.days
    for day, row in enumerate(profile):
        date = TINY_PARAMS.date_of(day)
        assert row["date"] == date.isoformat() and row["weekday"] == date.strftime("%A")
        assert float(row["demand_factor"]) == pytest.approx(demand_factor(date), abs=1e-6)
        assert row["drifted"] == ("true" if row["date"] >= drift["drift_date"] else "false")
    weekday = drift["not_drift"]["weekday_factor"]
    assert max(weekday.values()) / min(weekday.values()) > 1.2  # weekday swings a monitor must not flag
    factors = [float(r["demand_factor"]) for r in profile if r["drifted"] == "false"]
    assert max(factors) / min(factors) > 1.2  # and they happen before the drift day too
