"""The churn-label truth: same label as the feature mart, every (customer, as_of_date) of its grid, the
realised label from the landing files, and probabilities that a Monte-Carlo of the process reproduces."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml
from gen_landing_io import truth_csv, valid_rows
from gen_support import TINY_PARAMS

from emporium.config import PROJECT_ROOT
from generator.config import Params
from generator.labels import CHURN_HORIZON_DAYS, CHURN_LABEL_COLUMN, as_of_days
from generator.pools import build_pools
from generator.simulate.churn_oracle import no_order_probability
from generator.simulate.world import Simulation

MART = PROJECT_ROOT / "models" / "gold" / "ml" / "fm_customer_churn_features.sql"
DBT_PROJECT = PROJECT_ROOT / "dbt_project.yml"


def _day(value: object) -> str:
    return str(value)[:10]


def test_the_mart_uses_the_generators_label_definition() -> None:
    """The horizon is declared once per side: dbt var churn_horizon_days (used by the mart) and
    generator/labels.py; they must agree, and the mart must read the var, not a literal."""
    project = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))
    assert project["vars"]["churn_horizon_days"] == CHURN_HORIZON_DAYS
    sql = MART.read_text(encoding="utf-8")
    assert sql.count("var('churn_horizon_days')") >= 2  # the label's window and its null cut-off
    assert f"as {CHURN_LABEL_COLUMN}" in sql


def test_labels_cover_the_mart_grid(tiny: Path) -> None:
    rows = truth_csv(tiny, "churn_labels.csv")
    first_seen: dict[int, str] = {}
    for r in valid_rows(tiny, "customers", "customer_id"):
        cid, stamp = int(str(r["customer_id"])), str(r["updated_at"])
        first_seen[cid] = min(first_seen.get(cid, stamp), stamp)
    grid = [TINY_PARAMS.date_of(d).isoformat() for d in as_of_days(TINY_PARAMS.start_date, TINY_PARAMS.days)]
    assert grid == ["2025-02-01", "2025-03-01", "2025-04-01"]
    by_date: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        by_date[r["as_of_date"]].add(int(r["customer_id"]))
    assert sorted(by_date) == grid
    for as_of, customers in by_date.items():  # the mart's customers: first version before as_of_date
        assert customers == {c for c, stamp in first_seen.items() if stamp < as_of}, as_of
    assert len(rows) == sum(len(c) for c in by_date.values())  # one row per (customer, as_of_date)


def test_realised_label_matches_the_orders_and_the_truth_ranks_it(tiny: Path) -> None:
    order_days: dict[int, list[str]] = defaultdict(list)
    for r in valid_rows(tiny, "orders", "order_id"):
        order_days[int(str(r["customer_id"]).strip())].append(_day(r["ordered_at"]))
    end = TINY_PARAMS.end_date
    labelled: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for r in truth_csv(tiny, "churn_labels.csv"):
        as_of = dt.date.fromisoformat(r["as_of_date"])
        until = (as_of + dt.timedelta(days=CHURN_HORIZON_DAYS)).isoformat()
        if as_of + dt.timedelta(days=CHURN_HORIZON_DAYS) > end + dt.timedelta(days=1):
            assert r[CHURN_LABEL_COLUMN] == "", r  # the window passes the data's end: no label (as the mart)
            continue
        bought = any(r["as_of_date"] <= d < until for d in order_days[int(r["customer_id"])])
        assert r[CHURN_LABEL_COLUMN] == ("false" if bought else "true"), r
        probability = float(r["churn_probability"])
        assert 0.0 <= probability <= 1.0 and (r["stopped_visiting"] == "false" or probability == 1.0)
        labelled[r["as_of_date"]].append((probability, not bought))
    assert sorted(labelled) == ["2025-02-01", "2025-03-01"]  # the tiny world's mart has two labelled dates
    for rows in labelled.values():
        p, y = np.array([x for x, _ in rows]), np.array([x for _, x in rows])
        assert 0.2 < y.mean() < 0.8  # both label values, plenty of each
        assert abs(p.mean() - y.mean()) < 0.08  # calibrated on average (a few hundred customers)
        assert _auc(p, y) > 0.7  # the oracle ranks churners first


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    order = np.argsort(score, kind="stable")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    positives = int(label.sum())
    negatives = len(label) - positives
    return float((ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _monte_carlo(day: int, replicates: int) -> tuple[np.ndarray, np.ndarray]:
    """From the state at the start of as-of day `day` (seed 5, scale 0.04: about 1,200 customers),
    `replicates` independent futures of the generator's own day loop: (truth, futures without an order)
    of the customers still visiting."""
    params = Params(seed=5, scale=0.04, days=day + CHURN_HORIZON_DAYS, drift_date=dt.date(2025, 1, 31))
    sim = Simulation(params, build_pools(params.seed))
    sim.run(range(day))
    st = sim.state
    truth = no_order_probability(st.cust, st.pending.returns, st.pending.tickets, day, params)
    n = st.cust.n
    no_order = np.zeros(n)
    for replicate in range(replicates):
        future = sim.fork(day, replicate)
        future.run(range(day, day + CHURN_HORIZON_DAYS))
        no_order += future.state.cust.last_order_day[:n] < day
    alive = st.cust.churned_day[:n] < 0
    return truth[alive], no_order[alive]


def _z(p: np.ndarray, hits: np.ndarray, replicates: int) -> float:
    """Observed minus predicted count of futures without an order, in standard deviations (each of the
    customers x replicates futures is a Bernoulli(p)); a group the truth calls certain must be exact."""
    assert len(p) > 0, "an empty group"
    expected, var = replicates * p.sum(), replicates * (p * (1 - p)).sum()
    if var == 0:
        return 0.0 if hits.sum() == expected else float("inf")
    return float((hits.sum() - expected) / np.sqrt(var))


def test_churn_truth_matches_a_monte_carlo_of_the_process() -> None:
    """Two states, REPLICATES futures each: as-of day 10 (inside the experiment, before the confounded
    campaign) and as-of day 31 (2025-02-01: contacts known and the campaign's uplift still running; the
    drift day, 2025-01-31, just passed). Per state the truth's deciles (by rank, so none is empty) each
    give a z of observed minus predicted no-order futures; the sum of the 20 squared z's is below the
    chi-square(20) 99.99 % point (52.4), each |z| < 4, and the mean probability over both states
    (about 2,300 customers x 80 futures each) has a standard error near 0.0011: an error of 0.5
    percentage points in the mean probability would give |z| > 4 and fail."""
    replicates = 80
    chi2, p_all, hits_all = 0.0, [], []
    for day in (10, 31):
        p, hits = _monte_carlo(day, replicates)
        assert len(p) > 1000 and 0.2 < p.mean() < 0.8
        for group in np.array_split(np.argsort(p, kind="stable"), 10):
            z = _z(p[group], hits[group], replicates)
            assert abs(z) < 4, (day, z, p[group].mean(), hits[group].mean() / replicates)
            chi2 += z**2
        p_all.append(p)
        hits_all.append(hits)
    assert chi2 < 52.4, chi2
    p, hits = np.concatenate(p_all), np.concatenate(hits_all)
    se = np.sqrt((p * (1 - p)).sum() / replicates) / len(p)
    assert se < 0.00125  # the power stated above
    assert abs(_z(p, hits, replicates)) < 4, (hits.mean() / replicates, p.mean())
