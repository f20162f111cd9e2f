"""Observational comparisons (who was treated depended on covariates): the naive difference, estimated
propensity scores, inverse-propensity weighting (Hajek) and the doubly robust AIPW estimator, with standard
errors from their influence functions.

Estimand: the average effect over all units (ATE); with a ratio metric the difference of the ratios of
totals, E[Y(1)] / E[N(1)] - E[Y(0)] / E[N(0)] (for sessions: a session-weighted conversion rate, had every
customer been treated against had none been). Propensities come from a logistic regression without penalty
on the standardised covariates (scikit-learn); IPW's standard error accounts for their estimation (the
M-estimation correction), AIPW's needs no correction (its influence function is orthogonal to both
nuisance models)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from ml.causal import diagnostics
from ml.causal.estimate import CausalInputError, Design, Estimate, Units, from_influence
from ml.causal.randomised import difference_in_means


@dataclass(frozen=True)
class Propensity:
    """Fitted scores and what the influence-function correction needs: the design matrix (intercept and
    standardised covariates) and the logistic log-likelihood's mean information matrix on it."""

    scores: np.ndarray
    design: np.ndarray
    information: np.ndarray


def fit_propensity(u: Units) -> Propensity:
    if u.covariates.shape[1] == 0:
        raise CausalInputError("propensity scores need at least one covariate")
    x = StandardScaler().fit_transform(u.covariates)
    model = LogisticRegression(C=np.inf, solver="newton-cholesky", max_iter=200).fit(x, u.treated)
    scores = model.predict_proba(x)[:, 1]
    design = np.column_stack([np.ones(len(x)), x])
    information = (design * (scores * (1 - scores))[:, None]).T @ design / len(x)
    return Propensity(scores, design, information)


def propensity_scores(data: pd.DataFrame, design: Design) -> np.ndarray:
    """Estimated P(treated | covariates) per row of `data` (logistic regression, no penalty)."""
    return fit_propensity(design.units(data)).scores


def naive_difference(data: pd.DataFrame, design: Design) -> Estimate:
    """The difference between the arms as they are, ignoring how units came to be treated (biased when the
    treatment followed the covariates); its standard error is honest about sampling, not about bias."""
    return replace(difference_in_means(data, design), estimator="naive")


def _observational(data: pd.DataFrame, design: Design, trim: float | None) -> tuple[Units, Propensity, dict]:
    u = design.units(data)
    propensity = fit_propensity(u)
    info: dict = {"trimmed_units": 0}
    if trim is not None:
        keep = diagnostics.trimming_rule(propensity.scores, trim)
        info = {"trim_bounds": [trim, 1 - trim], "trimmed_units": int((~keep).sum())}
        u = Units(
            u.treated[keep], u.numerator[keep], u.denominator[keep], u.covariates[keep], u.covariate_names
        )
        propensity = fit_propensity(u)  # refitted on the population the estimand now refers to
    return u, propensity, info


def _diagnostics(u: Units, propensity: Propensity, info: dict) -> dict:
    e, t = propensity.scores, u.treated
    weights = np.where(t, 1 / e, 1 / (1 - e))
    return {
        **info,
        "propensity_min_treated": float(e[t].min()),
        "propensity_max_control": float(e[~t].max()),
        "propensity_range": [float(e.min()), float(e.max())],
        "outside_trim_rule": int((~diagnostics.trimming_rule(e)).sum()),
        "max_weight": float(weights.max()),
        "effective_sample_size": {
            "treated": diagnostics.effective_sample_size(weights[t]),
            "control": diagnostics.effective_sample_size(weights[~t]),
        },
        "smd_before": diagnostics.standardised_mean_differences(u.covariates, u.covariate_names, t),
        "smd_after": diagnostics.standardised_mean_differences(u.covariates, u.covariate_names, t, weights),
        "overlap": diagnostics.overlap_histogram(e, t),
        "calibration": diagnostics.calibration(e, t),
    }


def ipw(data: pd.DataFrame, design: Design, trim: float | None = None) -> Estimate:
    """Hajek (normalised) inverse-propensity weighting: each arm's ratio of weighted totals, weights 1/e
    for the treated and 1/(1-e) for the controls; the influence function includes the propensity fit.
    `trim`: keep only units with an estimated propensity in [trim, 1 - trim] (diagnostics.trimming_rule)."""
    u, propensity, info = _observational(data, design, trim)
    e, t, y, n, z = propensity.scores, u.treated.astype(float), u.numerator, u.denominator, propensity.design
    # per arm: the weight and its derivative along the logistic regression's linear index
    arms = [(t / e, -t * (1 - e) / e), ((1 - t) / (1 - e), (1 - t) * e / (1 - e))]
    rates, influences, gradients = [], [], []
    for weight, slope in arms:
        total = np.mean(weight * n)
        rate = np.sum(weight * y) / np.sum(weight * n)
        residual = (y - rate * n) / total
        rates.append(rate)
        influences.append(weight * residual)
        gradients.append((slope * residual) @ z / len(y))
    score = z * (t - e)[:, None]  # the logistic regression's estimating function, one row per unit
    correction = score @ np.linalg.solve(propensity.information, gradients[0] - gradients[1])
    influence = influences[0] - influences[1] + correction
    return _result("ipw", design, trim, rates, influence, u, propensity, info)


def aipw(data: pd.DataFrame, design: Design, trim: float | None = None) -> Estimate:
    """Augmented IPW (doubly robust): per arm, a linear outcome model (and one for the denominator of a ratio
    metric) fitted on that arm, corrected by the propensity-weighted residuals; consistent when either the
    propensity or the outcome model is right. `trim` as for `ipw`."""
    u, propensity, info = _observational(data, design, trim)
    e, t, x = propensity.scores, u.treated, propensity.design
    rates, influences = [], []
    for arm, weight in ((t, t / e), (~t, (~t) / (1 - e))):
        scores = []
        for values in (u.numerator, u.denominator):
            coefficients, *_ = np.linalg.lstsq(x[arm], values[arm], rcond=None)  # least squares in this arm
            fitted = x @ coefficients
            scores.append(fitted + weight * (values - fitted))
        numerator, denominator_score = scores
        rate = numerator.mean() / denominator_score.mean()
        rates.append(rate)
        influences.append((numerator - rate * denominator_score) / denominator_score.mean())
    return _result("aipw", design, trim, rates, influences[0] - influences[1], u, propensity, info)


def _result(
    name: str,
    design: Design,
    trim: float | None,
    rates: list[float],
    influence: np.ndarray,
    u: Units,
    propensity: Propensity,
    info: dict,
) -> Estimate:
    population = "all units" if trim is None else f"units with propensity in [{trim}, {1 - trim}]"
    estimand = f"average treatment effect on {design.metric()}, over {population}"
    details = _diagnostics(u, propensity, info)
    return from_influence(name, estimand, rates[0] - rates[1], influence, u.treated, details)
