"""drift.json says which landing columns change from the drift day and by how much: its observed numbers
are recomputed from the landing files, the planted change shows in them, and seasonality is stated."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml
from gen_landing_io import truth_csv, valid_rows
from gen_support import TINY_PARAMS

from emporium.config import PROJECT_ROOT
from generator.config import Params
from generator.pools import build_pools
from generator.simulate.calendar import demand_factor
from generator.simulate.preferences import Shelf
from generator.simulate.sessions import EVENT_TYPES
from generator.simulate.world import Simulation, simulate
from generator.truth_drift import drift_truth, profile_columns

MART = PROJECT_ROOT / "models" / "gold" / "ml" / "fm_customer_churn_features.sql"


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


def _expected_view_shares(params: Params) -> tuple[dict, np.ndarray]:
    """drift.json of a simulated world, and per day the expected product-view count of each category:
    every view's category probabilities (its viewer's taste x that day's shelf, drifted after the drift
    day; preferences.Shelf), summed. Only the draws themselves are left to chance."""
    sim = Simulation(params, build_pools(params.seed))
    shelves = []
    for day in range(params.days):
        sim.step(day)  # the catalogue changes at the start of a day, so its end state is the shop's shelf
        products = sim.state.prod
        shelf = Shelf(products.popularity, products.category, products.price_cents, products.buyable(day),
                      day >= params.drift_day)  # fmt: skip
        shelves.append(shelf.mass)
    world = sim.world()
    events = world.tables["web_events"]
    views = events["event_type"] == EVENT_TYPES.index("product_view")
    expected = np.zeros((params.days, len(shelves[0][0])))
    for day, mass in enumerate(shelves):
        viewer = events["customer_id"][views & (events["_day"] == day)]
        index = np.where(viewer > 0, viewer - 1, -1)  # -1: anonymous, the flat taste
        weights = world.customers.affinity[index] * mass[world.customers.price_segment[index]]
        expected[day] = (weights / weights.sum(axis=1, keepdims=True)).sum(axis=0)
    return drift_truth(params, world), expected


def test_the_planted_change_shows_and_matches_the_plant() -> None:
    """At scale 0.1 (about 9,000 sessions per window), 28 days either side of the drift day."""
    params = Params(seed=11, scale=0.1, days=88, drift_date=dt.date(2025, 3, 2))
    drift, expected = _expected_view_shares(params)
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
        expected_share = planted["device_share"][regime]["mobile"]
        assert abs(mobile / n - expected_share) < 4 * np.sqrt(expected_share * (1 - expected_share) / n)
    weight = planted["category_weight"]
    drift_day = params.drift_day
    before, after = (
        expected[drift_day - 28 : drift_day].sum(axis=0),
        expected[drift_day : drift_day + 28].sum(0),
    )
    for index, category in enumerate(weight["after"]):
        n_before = ref["product_view_category"]["counts"][category]
        n_after = cur["product_view_category"]["counts"][category]
        observed_change = np.log(cur["product_view_category"]["shares"][category]) - np.log(
            ref["product_view_category"]["shares"][category]
        )
        # The change the plant implies for these viewers: each customer's choice is renormalised over their
        # own categories (a rise is damped, a fall can deepen), so it is not the weights' ratio itself.
        implied_change = np.log(after[index] / after.sum()) - np.log(before[index] / before.sum())
        planted_change = np.log(weight["after"][category] / weight["before"][category])
        # What is left is sampling: the log of a share ratio from n_before and n_after views (650 to 7,100
        # per category and window here) has a standard deviation of about sqrt(1/n_before + 1/n_after),
        # 0.019 to 0.054; observed within 4 of them of the implied change (was: 0.3-2.5x the planted one)
        assert abs(observed_change - implied_change) < 4 * np.sqrt(1 / n_before + 1 / n_after), category
        assert np.sign(implied_change) == np.sign(planted_change) or planted_change == 0, category
    # a model input moves: identified sessions (sessions_last_30d), net of seasonality
    ratio = cur["identified_sessions_per_demand_day"] / ref["identified_sessions_per_demand_day"]
    assert planted["visit_factor"] == {"before": 1.0, "after": 1.2}
    assert abs(ratio - 1.2) < 0.06
    conversion = cur["identified_session_conversion"] / ref["identified_session_conversion"]
    factor = planted["mean_device_conversion_factor"]
    assert conversion < 1.0 and factor["after"] < factor["before"] == 1.0  # mobile converts worse
    assert "sessions_last_30d" in drift["model_inputs"]["columns"]


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


def _mart_means(landing: Path, as_of: str) -> dict[str, float]:
    """The churn mart's drift-moved columns at one as_of_date, averaged over its grid, recomputed from the
    landing files like the SQL: identified sessions (start = first event) and orders (any status) in the
    w days before as_of_date; the label = no order in the 60 days from it."""
    a = dt.date.fromisoformat(as_of)
    first_seen: dict[str, str] = {}
    for r in valid_rows(landing, "customers", "customer_id"):
        cid, day = str(r["customer_id"]), str(r["updated_at"])[:10]
        first_seen[cid] = min(first_seen.get(cid, day), day)
    grid = {cid for cid, day in first_seen.items() if day < as_of}
    started: dict[str, tuple[str, str]] = {}
    for e in valid_rows(landing, "web_events", "event_id"):
        if e.get("customer_id") is not None:
            sid, stamp = str(e["session_id"]), str(e["occurred_at"])
            if sid not in started or stamp < started[sid][1]:
                started[sid] = (str(e["customer_id"]), stamp)
    ordered = {str(r["order_id"]): (str(r["customer_id"]), str(r["ordered_at"])[:10])
               for r in valid_rows(landing, "orders", "order_id")}  # fmt: skip

    def since(days: int) -> str:
        return (a - dt.timedelta(days=days)).isoformat()

    def count(rows: list[tuple[str, str]], lo: str, hi: str) -> Counter[str]:
        return Counter(cid for cid, day in rows if lo <= day[:10] < hi and cid in grid)

    sessions = list(started.values())
    orders = list(ordered.values())
    n = len(grid)
    next_60 = count(orders, as_of, (a + dt.timedelta(days=60)).isoformat())
    return {
        "customers": n,
        "sessions_last_30d": sum(count(sessions, since(30), as_of).values()) / n,
        "orders_last_30d": sum(count(orders, since(30), as_of).values()) / n,
        "orders_last_90d": sum(count(orders, since(90), as_of).values()) / n,
        "churned_next_60d": sum(1 for cid in grid if not next_60[cid]) / n,
    }


def test_model_inputs_match_the_landing_data_per_as_of_date(tiny: Path) -> None:
    inputs = _drift(tiny)["model_inputs"]
    labels = [float(r["churn_probability"]) for r in truth_csv(tiny, "churn_labels.csv")
              if r["as_of_date"] == "2025-02-01"]  # fmt: skip
    assert [g["as_of_date"] for g in inputs["as_of"]] == ["2025-02-01", "2025-03-01", "2025-04-01"]
    for g in inputs["as_of"]:
        mart = _mart_means(tiny, g["as_of_date"])
        assert g["customers"] == mart["customers"]
        for column in ("sessions_last_30d", "orders_last_30d", "orders_last_90d"):
            assert g[column]["mean"] == pytest.approx(mart[column], abs=1e-6), (g["as_of_date"], column)
        if "churned_next_60d" in g:  # observable on 2025-02-01 and 2025-03-01 (120 days of data)
            assert g["churned_next_60d"]["rate"] == pytest.approx(mart["churned_next_60d"], abs=1e-6)
    first = inputs["as_of"][0]["churned_next_60d"]["expected_rate"]
    assert first == pytest.approx(sum(labels) / len(labels), abs=1e-6)
    assert "churned_next_60d" not in inputs["as_of"][2]
    # the drift day (2025-03-01) is an as-of date: the 30-day windows before it are clean, after it drifted
    assert [g["drifted_days_last_30d"] for g in inputs["as_of"]] == [0, 0, 30]


def test_model_inputs_name_columns_of_the_mart() -> None:
    # the mart's contract is enforced, so its documented columns are the columns it builds
    models = yaml.safe_load((MART.parent / "_ml__models.yml").read_text(encoding="utf-8"))["models"]
    columns = {c["name"] for m in models if m["name"] == MART.stem for c in m["columns"]}
    drift = drift_truth(TINY_PARAMS, simulate(TINY_PARAMS, build_pools(TINY_PARAMS.seed)))
    assert drift["model_inputs"]["mart"] == MART.stem
    assert set(drift["model_inputs"]["columns"]) <= columns, set(drift["model_inputs"]["columns"]) - columns


def _ratio(before: dict, after: dict, column: str) -> float:
    """after / before of a column's mean per expected session without the drift: seasonality and the
    churned customers' absence taken out, only the drift left."""

    def net(g: dict) -> float:
        return g[column]["mean"] / g["sessions_last_30d"]["expected_without_drift"]

    return net(after) / net(before)


def test_the_model_inputs_move_by_the_planted_ratio_across_the_drift_day() -> None:
    """Scale 0.1, drift day 2025-04-01 (an as-of date): the windows of 2025-04-01 (all before, no
    experiment or campaign running) and 2025-05-01 (all after) hold about 5,500 identified sessions and
    2,100 orders each, so a ratio's sampling error is about 0.03: the tolerances below leave the planted
    ratio at 3 standard errors or more and 1.0 (no drift) outside."""
    params = Params(seed=11, scale=0.1, days=121, drift_date=dt.date(2025, 4, 1))
    world = simulate(params, build_pools(params.seed))
    inputs = drift_truth(params, world, {"orders": world.tables["orders"]})["model_inputs"]
    by_date = {g["as_of_date"]: g for g in inputs["as_of"]}
    before, after = by_date["2025-04-01"], by_date["2025-05-01"]
    assert (before["drifted_days_last_30d"], after["drifted_days_last_30d"]) == (0, 30)
    planted = {c: v["planted_ratio_after_before"] for c, v in inputs["columns"].items()}
    assert planted["sessions_last_30d"] == 1.2 and planted["orders_last_30d"] == pytest.approx(
        1.2 * 0.96, abs=0.01
    )
    assert abs(_ratio(before, after, "sessions_last_30d") - planted["sessions_last_30d"]) < 0.08
    assert abs(_ratio(before, after, "orders_last_30d") - planted["orders_last_30d"]) < 0.1
    # the expectation given who was active each day matches what was drawn, window by window
    for g in inputs["as_of"]:
        sessions = g["sessions_last_30d"]
        assert abs(sessions["mean"] / sessions["expected"] - 1) < 0.05, g["as_of_date"]
    # without the drift the raw means would not show it: seasonality and churn move them too
    raw = after["sessions_last_30d"]["mean"] / before["sessions_last_30d"]["mean"]
    assert abs(raw - 1.2) > 0.05


def test_sessions_net_of_the_daily_profile_are_flat_across_weekdays() -> None:
    """Scale 0.1, 14 whole weeks before the drift day: sessions (identified and anonymous) per weekday vary
    with the weekday factor (Saturday 0.88 .. Sunday 1.12), but divided by the summed demand_factor of
    daily_profile.csv they are flat: each weekday within 4 standard deviations (Poisson) of the mean."""
    weeks = 14
    params = Params(seed=3, scale=0.1, days=7 * weeks + 1, drift_date=dt.date(2025, 4, 9))
    assert params.drift_day == 7 * weeks  # every simulated day before the drift
    world = simulate(params, build_pools(params.seed))
    day = (world.sessions["start"] - world.epoch0) // 86_400
    per_day = np.bincount(day, minlength=params.days)[: 7 * weeks].astype(float)
    factor = np.array(profile_columns(params)["demand_factor"].to_pylist()[: 7 * weeks], dtype=float)
    weekday = np.array([params.date_of(d).weekday() for d in range(7 * weeks)])
    raw = np.array([per_day[weekday == w].sum() for w in range(7)])
    net = raw / np.array([factor[weekday == w].sum() for w in range(7)])
    assert raw.max() / raw.min() > 1.15  # not flat: Sunday vs Saturday
    sd = net * np.sqrt(1 / raw)  # Poisson counts
    assert np.all(np.abs(net - net.mean()) < 4 * sd), net / net.mean()
    assert net.max() / net.min() < 1.06
