"""Causal truth of the confounded campaign: every eligible customer's true contact propensity, the true
uplift, and how far the naive comparison is from it (with, for reference, the inverse-propensity estimate
that the true propensities give)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generator import truth_io
from generator.config import Params
from generator.formatting import money_strings
from generator.simulate import drift, marketing
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.customers import CONVERSION
from generator.simulate.world import World

PROPENSITY_FILE = "campaign_propensity.csv"


def _propensity(world: World) -> marketing.Propensity:
    """The campaign's draw, or an empty one when the horizon ends before it starts."""
    if world.propensity is not None:
        return world.propensity
    none = np.zeros(0, np.int64)
    return marketing.Propensity(none, none, none, none.astype(float), none.astype(bool))


def _window_sessions(params: Params, world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer index, converted, conversion probability without the campaign's uplift) of the
    identified sessions on the campaign's days: the probability the generator drew each session's
    purchase with (sessions.decide_conversion), less the uplift."""
    s = world.sessions
    first = marketing.CONFOUNDED_START_DAY
    day = (s["start"] - world.epoch0) // DAY_SECONDS
    keep = (day >= first) & (day < first + marketing.CONFOUNDED_DAYS) & (s["customer"] >= 0)
    who = s["customer"][keep]
    base = CONVERSION[world.customers.segment[who]] * drift.DEVICE_CONVERSION[s["device"][keep]]
    return who, s["converted"][keep], base + marketing.EXPERIMENT_EFFECT * s["treated"][keep]


def _weighted_rate(converted: np.ndarray, weight: np.ndarray | float) -> float | None:
    weight = np.broadcast_to(weight, converted.shape)
    return float(np.sum(converted * weight) / np.sum(weight)) if len(weight) else None


def _difference(a: float | None, b: float | None) -> float | None:
    return round(a - b, 6) if a is not None and b is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def estimates(params: Params, world: World) -> dict[str, Any]:
    """Naive and inverse-propensity-weighted (Hajek, per session) differences in session conversion
    between contacted and not contacted eligible customers."""
    prop = _propensity(world)
    n = world.customers.n
    propensity, contacted, eligible = np.zeros(n), np.zeros(n, bool), np.zeros(n, bool)
    propensity[prop.customer], contacted[prop.customer], eligible[prop.customer] = (
        prop.propensity, prop.contacted, True
    )  # fmt: skip
    who, converted, p = _window_sessions(params, world)
    keep = eligible[who]
    who, converted, p = who[keep], converted[keep], p[keep]
    treated = contacted[who]
    expected_in, expected_out = _weighted_rate(p[treated], 1.0), _weighted_rate(p[~treated], 1.0)
    expected_bias = _difference(expected_in, expected_out)
    # given the sessions, each converts independently: the naive difference's sampling s.d. around
    # true_uplift + expected_bias (every contacted session in the window has the uplift)
    q = p + marketing.CAMPAIGN_UPLIFT * treated
    var = [np.sum(q[arm] * (1 - q[arm])) / max(int(arm.sum()), 1) ** 2 for arm in (treated, ~treated)]
    naive_in, naive_out = _weighted_rate(converted[treated], 1.0), _weighted_rate(converted[~treated], 1.0)
    ipw_in = _weighted_rate(converted[treated], 1.0 / propensity[who][treated])
    ipw_out = _weighted_rate(converted[~treated], 1.0 / (1.0 - propensity[who][~treated]))
    naive, ipw = _difference(naive_in, naive_out), _difference(ipw_in, ipw_out)
    uplift = marketing.CAMPAIGN_UPLIFT
    return {
        "naive": {
            "contacted_sessions": int(treated.sum()), "contacted_rate": _round(naive_in),
            "not_contacted_sessions": int((~treated).sum()), "not_contacted_rate": _round(naive_out),
            "difference": naive, "bias": round(naive - uplift, 6) if naive is not None else None,
            "expected_contacted_rate_without_uplift": _round(expected_in),
            "expected_not_contacted_rate_without_uplift": _round(expected_out),
            "expected_bias": expected_bias,
            "bias_sampling_sd": round(float(np.sqrt(sum(var))), 6) if expected_bias is not None else None,
        },
        "ipw_with_true_propensity": {
            "contacted_rate": _round(ipw_in), "not_contacted_rate": _round(ipw_out), "difference": ipw,
            "bias": round(ipw - uplift, 6) if ipw is not None else None,
        },
    }  # fmt: skip


def campaign_truth(params: Params, world: World) -> dict[str, Any]:
    first = marketing.CONFOUNDED_START_DAY
    last = first + marketing.CONFOUNDED_DAYS - 1
    prop = _propensity(world)
    ran = len(prop.customer) > 0
    return {
        "campaign_id": marketing.CONFOUNDED_CAMPAIGN_ID,
        "starts_on": params.date_of(first).isoformat(),
        "ends_on": params.date_of(last).isoformat(),
        "in_horizon": first < params.days,
        "eligibility": "customers with marketing_opt_in signed up before starts_on (churned or not)",
        "targeting_rule": (
            "each eligible customer is contacted independently with probability propensity = "
            "1 / (1 + exp(-(intercept + log1p_spend_eur * ln(1 + spend_before_start) + tenure_years * "
            "min(tenure_days / 365, tenure_cap_years)))): value raises the odds of a contact, and value "
            "also goes with higher conversion, which confounds a naive comparison"
        ),
        "propensity_model": {
            "intercept": marketing.PROPENSITY_INTERCEPT,
            "log1p_spend_eur": marketing.PROPENSITY_LOG_SPEND,
            "tenure_years": marketing.PROPENSITY_TENURE_YEARS,
            "tenure_cap_years": marketing.PROPENSITY_TENURE_CAP_YEARS,
            "spend_before_start": "sum of quantity x unit_price (EUR) over the customer's orders placed "
            "before starts_on, whatever their status",
            "tenure_days": "days from the date of signed_up_at to starts_on",
        },
        "propensity_file": PROPENSITY_FILE,
        "metric": "session_conversion_rate",
        "metric_definition": (
            "share of web sessions (distinct session_id) of eligible customers on days starts_on..ends_on "
            "that contain a purchase event"
        ),
        "true_uplift": marketing.CAMPAIGN_UPLIFT,
        "eligible_customers": len(prop.customer),
        "contacted_customers": int(prop.contacted.sum()),
        "overlap": {
            "min_propensity": round(float(prop.propensity.min()), 6),
            "max_propensity": round(float(prop.propensity.max()), 6),
            "mean_propensity": round(float(prop.propensity.mean()), 6),
        } if ran else None,
        **estimates(params, world),
    }  # fmt: skip


def write(truth_dir: Path, params: Params, world: World) -> None:
    truth_io.write_json(truth_dir / "campaign.json", campaign_truth(params, world))
    prop = _propensity(world)
    truth_io.write_columns(
        truth_dir / PROPENSITY_FILE,
        {
            "customer_id": truth_io.ints(prop.customer + 1),
            "spend_before_start": money_strings(prop.spend_cents),
            "tenure_days": truth_io.ints(prop.tenure_days),
            "propensity": truth_io.decimals(prop.propensity),
            "contacted": truth_io.bools(prop.contacted),
        },
    )
