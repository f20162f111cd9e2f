"""The standard analyses of the shop's experiments and campaigns, over the gold marts
(`mart_experiment_customers`, `mart_campaign_customers`): which estimators, on which covariates, with which
diagnostics deciding whether an estimate can be trusted. One `Result` per analysis x estimator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.causal import decision
from ml.causal.diagnostics import BALANCE_THRESHOLD
from ml.causal.estimate import Design, Estimate
from ml.causal.observational import aipw, ipw, naive_difference
from ml.causal.randomised import (
    cuped,
    difference_in_means,
    power_analysis,
    sample_ratio_mismatch,
    unit_std_dev,
)

# the shop's experiments split customers 50/50 (the sample-ratio check compares with this plan)
PLANNED_SHARES = {"control": 0.5, "treatment": 0.5}
EXPERIMENT_COVARIATES = ("pre_period_sessions", "pre_period_orders", "pre_period_revenue")
# what the targeting could see, spend on a log scale (it is heavily skewed), plus recent activity
CAMPAIGN_COVARIATES = ("log_spend_before_start", "tenure_years", "pre_period_sessions", "pre_period_orders")
# the estimators whose row BI should read first: CUPED for experiments, AIPW for campaigns
PRIMARY = {"experiment": "cuped", "campaign": "aipw"}


@dataclass(frozen=True)
class Result:
    analysis_type: str  # experiment | campaign
    analysis_id: int
    estimate: Estimate
    diagnostics_passed: bool

    @property
    def is_primary(self) -> bool:
        return PRIMARY[self.analysis_type] == self.estimate.estimator

    def decision(self) -> tuple[str, str]:
        return decision.decide(self.estimate, self.diagnostics_passed)


def experiment_results(customers: pd.DataFrame, experiment_id: int) -> list[Result]:
    """Difference in means and CUPED of session conversion, with the sample-ratio check and the minimum
    detectable effect of the sample the experiment had."""
    frame = customers.assign(treated=customers["variant"].eq("treatment"))
    design = Design("customer_id", "treated", "converting_sessions", "sessions", EXPERIMENT_COVARIATES)
    srm = sample_ratio_mismatch(frame["variant"].value_counts().to_dict(), PLANNED_SHARES)
    arms = frame["treated"].value_counts()
    power = power_analysis(
        unit_std_dev(frame, "converting_sessions", "sessions"),
        int(arms.get(True, 0)),
        int(arms.get(False, 0)),
    )
    results = []
    for estimate in (difference_in_means(frame, design), cuped(frame, design)):
        details = {**estimate.diagnostics, "sample_ratio": srm, "power": power}
        estimate = Estimate(**{**estimate.as_row(), "diagnostics": details})
        results.append(Result("experiment", experiment_id, estimate, not srm["mismatch"]))
    return results


def campaign_results(customers: pd.DataFrame, campaign_id: int, trim: float | None = None) -> list[Result]:
    """Naive difference, IPW and AIPW of session conversion between contacted and not contacted eligible
    customers; an observational estimate passes when every covariate is balanced after weighting (|SMD| <=
    0.1), the naive one only when the arms were balanced to begin with."""
    frame = campaign_frame(customers)
    design = Design("customer_id", "contacted", "converting_sessions", "sessions", CAMPAIGN_COVARIATES)
    naive = naive_difference(frame, design)
    weighted = [ipw(frame, design, trim=trim), aipw(frame, design, trim=trim)]
    before = weighted[0].diagnostics["smd_before"]
    naive = Estimate(**{**naive.as_row(), "diagnostics": {**naive.diagnostics, "smd_before": before}})
    results = [Result("campaign", campaign_id, naive, _balanced(before))]
    results += [Result("campaign", campaign_id, e, _balanced(e.diagnostics["smd_after"])) for e in weighted]
    return results


def campaign_frame(customers: pd.DataFrame) -> pd.DataFrame:
    """The mart's rows with the covariates on the scale the propensity model takes them."""
    spend = customers["spend_before_start"].astype(float)
    return customers.assign(
        log_spend_before_start=np.log1p(spend), tenure_years=customers["tenure_days"].astype(float) / 365
    )


def _balanced(smd: dict[str, float]) -> bool:
    return all(abs(value) <= BALANCE_THRESHOLD for value in smd.values())
