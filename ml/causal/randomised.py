"""Randomised experiments: the difference in means with design-respecting standard errors, CUPED, the
sample-ratio-mismatch check, and power / minimum detectable effect for a planned sample.

The unit is whatever was randomised (a customer); the metric may be a ratio over smaller units (converting
sessions / sessions). Its estimand is then the ratio of totals per arm, sum(numerator) / sum(denominator): a
session-weighted rate, not the mean of per-customer rates. Sessions of one customer are correlated, so the
standard error comes from the delta method on per-customer totals (the linearised ratio), which is the
cluster-robust standard error with the customer as the cluster."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from ml.causal.estimate import CausalInputError, Design, Estimate, Units, normal_estimate

# a sample-ratio mismatch is flagged below this chi-square p-value (the customary, conservative threshold:
# the check runs on every experiment, so it must rarely cry wolf)
SRM_ALPHA = 0.001


def linearised(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, np.ndarray]:
    """(ratio of totals, each unit's influence on it): the delta method's linearisation of
    sum(y) / sum(n), (y_i - ratio * n_i) / mean(n); for a per-unit mean (n = 1) simply y_i - mean(y)."""
    ratio = numerator.sum() / denominator.sum()
    return float(ratio), (numerator - ratio * denominator) / denominator.mean()


def _arm_difference(
    name: str, design: Design, u: Units, rates: list[float], variances: list[float], diagnostics: dict
) -> Estimate:
    """Treated minus control of per-arm `rates` whose sampling variances are `variances` (arms independent)."""
    estimand = f"difference in {design.metric()} between arms"
    std_error = float(np.sqrt(sum(variances)))
    return normal_estimate(name, estimand, rates[0] - rates[1], std_error, u.treated, diagnostics)


def difference_in_means(data: pd.DataFrame, design: Design) -> Estimate:
    """Treatment minus control of the mean outcome per unit, or of the ratio sum(outcome) / sum(denominator)
    per arm; standard error by the delta method, clustered on the unit."""
    u = design.units(data)
    rates, variances = [], []
    for arm in (True, False):
        ratio, influence = linearised(u.numerator[u.treated == arm], u.denominator[u.treated == arm])
        rates.append(ratio)
        variances.append(np.var(influence, ddof=1) / len(influence))
    diagnostics = {"rate_treated": rates[0], "rate_control": rates[1]}
    if design.denominator:
        diagnostics |= {
            "denominator_treated": float(u.denominator[u.treated].sum()),
            "denominator_control": float(u.denominator[~u.treated].sum()),
        }
    return _arm_difference("difference_in_means", design, u, rates, variances, diagnostics)


def cuped(data: pd.DataFrame, design: Design) -> Estimate:
    """The difference in means adjusted by the design's pre-period covariates (CUPED, Deng et al. 2013; with
    several covariates the regression adjustment of Lin 2013): the linearised outcome regressed on the
    covariates centred within each arm, one pooled slope, each arm's rate moved by slope x (arm mean -
    overall mean). Same estimand as `difference_in_means`; `variance_reduction` = 1 - var(CUPED) / var(plain)."""
    if not design.covariates:
        raise CausalInputError("cuped needs at least one pre-period covariate")
    u = design.units(data)
    arms = (u.treated, ~u.treated)
    parts = [linearised(u.numerator[arm], u.denominator[arm]) for arm in arms]
    influence = np.empty(len(u.treated))
    centred = np.empty_like(u.covariates)
    for arm, (_, psi) in zip(arms, parts, strict=True):
        influence[arm] = psi
        centred[arm] = u.covariates[arm] - u.covariates[arm].mean(axis=0)
    theta, *_ = np.linalg.lstsq(centred, influence, rcond=None)
    overall = u.covariates.mean(axis=0)
    rates, plain, adjusted = [], [], []
    for arm, (ratio, psi) in zip(arms, parts, strict=True):
        rates.append(ratio - float((u.covariates[arm].mean(axis=0) - overall) @ theta))
        plain.append(np.var(psi, ddof=1) / arm.sum())
        adjusted.append(np.var(psi - centred[arm] @ theta, ddof=1) / arm.sum())
    diagnostics = {
        "covariates": list(design.covariates),
        "theta": [float(t) for t in theta],
        "variance_reduction": float(1 - sum(adjusted) / sum(plain)),
        "ci_width_ratio": float(np.sqrt(sum(adjusted) / sum(plain))),
        "std_error_without_cuped": float(np.sqrt(sum(plain))),
    }
    return _arm_difference("cuped", design, u, rates, adjusted, diagnostics)


def sample_ratio_mismatch(counts: Mapping[str, int], expected_shares: Mapping[str, float]) -> dict:
    """Chi-square test of the units per arm against the planned shares; `mismatch` when p < SRM_ALPHA (the
    assignment or the logging is broken, and no estimate of that experiment should be trusted)."""
    if set(counts) != set(expected_shares):
        raise CausalInputError(
            f"arms {sorted(counts)} differ from the planned arms {sorted(expected_shares)}"
        )
    arms = sorted(counts)
    observed = np.array([counts[a] for a in arms], dtype=float)
    shares = np.array([expected_shares[a] for a in arms], dtype=float)
    expected = observed.sum() * shares / shares.sum()
    statistic, p_value = stats.chisquare(observed, expected)
    return {
        "counts": {a: int(counts[a]) for a in arms},
        "expected_shares": {a: float(s) for a, s in zip(arms, shares / shares.sum(), strict=True)},
        "chi2": float(statistic),
        "p_value": float(p_value),
        "mismatch": bool(p_value < SRM_ALPHA),
    }


def unit_std_dev(data: pd.DataFrame, outcome: str, denominator: str | None = None) -> float:
    """Standard deviation of one unit's linearised outcome (for the ratio metric, of (y - r n) / mean(n)):
    what the power formula needs, measured on pre-period or pilot data."""
    y = data[outcome].to_numpy(dtype=float)
    n = data[denominator].to_numpy(dtype=float) if denominator else np.ones(len(y))
    return float(np.std(linearised(y, n)[1], ddof=1))


def power_analysis(
    std_dev: float,
    n_treated: int,
    n_control: int,
    effect: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> dict[str, float]:
    """Minimum detectable effect of a two-sided test at `alpha` with `power`, for a unit standard deviation
    `std_dev` and the planned arm sizes; with `effect`, the power to detect it."""
    solver = NormalIndPower()
    ratio = n_control / n_treated
    mde = std_dev * solver.solve_power(nobs1=n_treated, alpha=alpha, power=power, ratio=ratio)
    result = {"minimum_detectable_effect": float(mde), "alpha": alpha, "power": power}
    if effect is not None:
        result["power_at_effect"] = float(
            solver.power(effect_size=effect / std_dev, nobs1=n_treated, alpha=alpha, ratio=ratio)
        )
    return result
