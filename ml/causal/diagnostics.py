"""Overlap and balance diagnostics for observational comparisons: standardised mean differences before and
after weighting, propensity histograms by arm, the trimming rule, propensity calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Crump, Hotz, Imbens & Mitnik (2009): with propensities outside [0.1, 0.9] an average effect rests on a few
# heavily weighted units; their rule of thumb keeps the units inside (the estimand becomes the effect on
# that overlap population)
TRIM_BOUND = 0.1
# |SMD| above this after weighting means the weights did not balance that covariate (Austin 2009)
BALANCE_THRESHOLD = 0.1


def trimming_rule(propensity: np.ndarray, bound: float = TRIM_BOUND) -> np.ndarray:
    """Mask of the units kept: propensity within [bound, 1 - bound]."""
    return (propensity >= bound) & (propensity <= 1 - bound)


def _weighted_moments(x: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = weights / weights.sum()
    mean = w @ x
    return mean, w @ (x - mean) ** 2


def standardised_mean_differences(
    covariates: np.ndarray,
    names: Sequence[str],
    treated: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, float]:
    """Per covariate (treated mean - control mean) / sqrt((var_treated + var_control) / 2), means weighted by
    `weights` when given; the denominator always unweighted, so before and after compare on one scale."""
    ones = np.ones(len(treated))
    _, var_t = _weighted_moments(covariates[treated], ones[treated])
    _, var_c = _weighted_moments(covariates[~treated], ones[~treated])
    scale = np.sqrt((var_t + var_c) / 2)
    w = ones if weights is None else weights
    mean_t, _ = _weighted_moments(covariates[treated], w[treated])
    mean_c, _ = _weighted_moments(covariates[~treated], w[~treated])
    smd = np.divide(mean_t - mean_c, scale, out=np.zeros_like(scale), where=scale > 0)
    return {name: float(value) for name, value in zip(names, smd, strict=True)}


def overlap_histogram(propensity: np.ndarray, treated: np.ndarray, bins: int = 20) -> dict[str, list]:
    """Counts of units per propensity bin on [0, 1], by arm: where the arms share support."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "edges": [float(e) for e in edges],
        "treated": np.histogram(propensity[treated], edges)[0].tolist(),
        "control": np.histogram(propensity[~treated], edges)[0].tolist(),
    }


def calibration(propensity: np.ndarray, treated: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Mean estimated propensity against the share actually treated, per decile of the propensity."""
    order = np.argsort(propensity)
    groups = np.array_split(order, bins)
    return {
        "mean_propensity": [float(propensity[g].mean()) for g in groups],
        "share_treated": [float(treated[g].mean()) for g in groups],
    }


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of weighted units: (sum w)^2 / sum w^2."""
    return float(weights.sum() ** 2 / (weights**2).sum())
