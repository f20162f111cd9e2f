"""The confounded campaign: every eligible customer's true propensity, strictly inside (0, 1), calibrated to
who was contacted, recomputable from observed covariates; the naive difference biased by what is reported."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from gen_landing_io import truth_csv, valid_rows

from generator.config import Params
from generator.pools import build_pools
from generator.simulate import marketing
from generator.simulate.world import Simulation, simulate
from generator.truth_campaign import estimates


def _campaign(landing: Path) -> dict:
    return json.loads((landing / "_truth" / "campaign.json").read_text())


def test_every_eligible_customer_has_a_propensity_from_observed_covariates(tiny: Path) -> None:
    campaign = _campaign(tiny)
    starts_on = campaign["starts_on"]
    rows = {int(r["customer_id"]): r for r in truth_csv(tiny, "campaign_propensity.csv")}
    customers = {int(str(r["customer_id"])): r for r in valid_rows(tiny, "customers", "customer_id")}
    eligible = {
        c for c, r in customers.items() if r["marketing_opt_in"] and str(r["signed_up_at"]) < starts_on
    }
    assert set(rows) == eligible and len(eligible) == campaign["eligible_customers"]

    contacts = valid_rows(tiny, "campaign_contacts", "contact_id")
    contacted = {int(str(r["customer_id"])) for r in contacts if str(r["campaign_id"]) == "1"}
    assert contacted == {c for c, r in rows.items() if r["contacted"] == "true"}
    assert 0 < len(contacted) < len(rows)  # both arms

    ordered_at = {str(r["order_id"]): str(r["ordered_at"]) for r in valid_rows(tiny, "orders", "order_id")}
    buyer = {
        str(r["order_id"]): int(str(r["customer_id"]).strip()) for r in valid_rows(tiny, "orders", "order_id")
    }
    spend: dict[int, Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for item in valid_rows(tiny, "order_items", "order_item_id"):
        key, order = str(item["order_item_id"]), str(item["order_id"])
        if key in seen or ordered_at.get(order, starts_on) >= starts_on:
            continue
        seen.add(key)
        spend[buyer[order]] += int(str(item["quantity"])) * Decimal(str(item["unit_price"]))
    model = campaign["propensity_model"]
    start = dt.date.fromisoformat(starts_on)
    for cid, r in rows.items():
        tenure = (start - customers[cid]["signed_up_at"].date()).days
        assert (Decimal(r["spend_before_start"]), int(r["tenure_days"])) == (spend[cid], tenure), cid
        logit = (
            model["intercept"]
            + model["log1p_spend_eur"] * math.log1p(float(spend[cid]))
            + model["tenure_years"] * min(tenure / 365, model["tenure_cap_years"])
        )
        assert float(r["propensity"]) == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-6)


def test_propensities_overlap_strictly_inside_zero_and_one(tiny: Path) -> None:
    rows = truth_csv(tiny, "campaign_propensity.csv")
    treated = [float(r["propensity"]) for r in rows if r["contacted"] == "true"]
    control = [float(r["propensity"]) for r in rows if r["contacted"] == "false"]
    assert all(0.0 < p < 1.0 for p in treated + control)
    # overlap: each arm reaches well into the other's range
    assert min(treated) < np.median(control) and max(control) > np.median(treated)
    overlap = _campaign(tiny)["overlap"]
    assert 0.05 < overlap["min_propensity"] < overlap["max_propensity"] < 0.98


def test_propensities_are_calibrated_to_contact_rates() -> None:
    """Four seeds' campaign draws (about 3,600 eligible customers): contacts per fifth of the propensity
    range, and overall, within 4 standard deviations of the sum of the propensities."""
    propensity, contacted = [], []
    for seed in range(1, 5):
        params = Params(seed=seed, scale=0.05, days=marketing.CONFOUNDED_START_DAY + 1)
        sim = Simulation(params, build_pools(seed))
        sim.run(range(params.days))
        assert sim.state.propensity is not None
        propensity.append(sim.state.propensity.propensity)
        contacted.append(sim.state.propensity.contacted)
    p, c = np.concatenate(propensity), np.concatenate(contacted)
    assert len(p) > 3000 and p.max() - p.min() > 0.5
    fifths = np.digitize(p, np.quantile(p, [0.2, 0.4, 0.6, 0.8]))
    for group in [np.ones(len(p), bool), *(fifths == k for k in range(5))]:
        assert abs(c[group].sum() - p[group].sum()) < 4 * np.sqrt((p[group] * (1 - p[group])).sum())
    assert c[fifths == 4].mean() - c[fifths == 0].mean() > 0.3  # value raises the contact rate


def test_naive_difference_is_reported_with_its_bias(tiny: Path) -> None:
    campaign = _campaign(tiny)
    naive, uplift = campaign["naive"], campaign["true_uplift"]
    assert naive["bias"] == pytest.approx(naive["difference"] - uplift, abs=1e-6)
    # the reported rates recomputed from the web events of eligible customers in the window
    arm = {
        int(r["customer_id"]): r["contacted"] == "true" for r in truth_csv(tiny, "campaign_propensity.csv")
    }
    sessions: dict[str, tuple[int, bool]] = {}
    for e in valid_rows(tiny, "web_events", "event_id"):
        if e.get("customer_id") is None:
            continue
        day, cid = str(e["occurred_at"])[:10], int(str(e["customer_id"]))
        if campaign["starts_on"] <= day <= campaign["ends_on"] and cid in arm:
            bought = sessions.get(str(e["session_id"]), (cid, False))[1] or e["event_type"] == "purchase"
            sessions[str(e["session_id"])] = (cid, bought)
    for flag, key in ((True, "contacted"), (False, "not_contacted")):
        outcomes = [bought for cid, bought in sessions.values() if arm[cid] is flag]
        assert len(outcomes) == naive[f"{key}_sessions"]
        assert sum(outcomes) / len(outcomes) == pytest.approx(naive[f"{key}_rate"], abs=1e-6)


def test_the_expected_bias_is_reported_without_noise(tiny: Path) -> None:
    """expected_bias: the arms' expected session conversion without the uplift, from the probabilities
    the generator drew with (segment x device factor + experiment effect), so value-targeting shows
    as a positive gap whatever the draws; the realised bias lies within sampling error of it."""
    naive = _campaign(tiny)["naive"]
    gap = (
        naive["expected_contacted_rate_without_uplift"] - naive["expected_not_contacted_rate_without_uplift"]
    )
    assert naive["expected_bias"] == pytest.approx(gap, abs=1e-6)
    assert naive["expected_bias"] > 0
    assert 0 < naive["bias_sampling_sd"] < 0.1  # a few hundred sessions per arm in the tiny world
    assert abs(naive["bias"] - naive["expected_bias"]) < 3 * naive["bias_sampling_sd"]


def test_naive_comparison_overstates_the_uplift_and_weighting_corrects_it() -> None:
    """At scale 0.3 (about 5,500 eligible customers, 15,000 sessions in the window): contacted customers
    are the valuable ones and convert more anyway, so the naive difference exceeds the true uplift by
    more than 0.02; weighting by the true propensity lands within 0.02 of it."""
    params = Params(seed=3, scale=0.3, days=marketing.CONFOUNDED_START_DAY + marketing.CONFOUNDED_DAYS)
    result = estimates(params, simulate(params, build_pools(params.seed)))
    naive = result["naive"]
    assert naive["bias"] > 0.02
    # the realised bias is the expected one up to sampling error (s.d. about 0.009 here)
    assert naive["expected_bias"] > 0.02 and naive["bias_sampling_sd"] < 0.012
    assert abs(naive["bias"] - naive["expected_bias"]) < 3 * naive["bias_sampling_sd"]
    assert abs(result["ipw_with_true_propensity"]["bias"]) < 0.02
