"""Causal effect estimators a data scientist can use on any experiment or campaign: hand a DataFrame with one
row per unit and name the unit, treatment, outcome (numerator and denominator of a ratio metric) and
covariate columns; get an `Estimate` (effect, standard error, 95 % CI, p-value, n, diagnostics).

    from ml.causal import Design, aipw, cuped
    design = Design("customer_id", "treated", "converting_sessions", "sessions", covariates=("pre_sessions",))
    cuped(df, design), aipw(df, design)

Estimands, estimators and the decision rule: docs/causal.md."""

from ml.causal.estimate import CausalInputError, Design, Estimate
from ml.causal.observational import aipw, ipw, naive_difference, propensity_scores
from ml.causal.randomised import (
    cuped,
    difference_in_means,
    power_analysis,
    sample_ratio_mismatch,
    unit_std_dev,
)

__all__ = [
    "CausalInputError",
    "Design",
    "Estimate",
    "aipw",
    "cuped",
    "difference_in_means",
    "ipw",
    "naive_difference",
    "power_analysis",
    "propensity_scores",
    "sample_ratio_mismatch",
    "unit_std_dev",
]
