"""Simulated worlds with a known effect for the estimator coverage tests: each shape draws one replication
(a DataFrame with one row per unit) from a seeded generator, vectorised; the truth is analytic or, where
the outcome is non-linear, the population mean of the effect over a large seeded draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ml.causal import Design


@dataclass(frozen=True)
class Shape:
    name: str
    draw: Callable[[np.random.Generator], pd.DataFrame]
    truth: float
    estimators: tuple[str, ...]
    covariates: tuple[str, ...]
    denominator: str | None = None
    trim: float | None = None  # the estimators' trimming rule (the truth then refers to the trimmed units)

    @property
    def design(self) -> Design:
        outcome = "converting" if self.denominator else "y"
        return Design("unit", "treated", outcome, self.denominator, self.covariates)


def _sessions_frame(
    treated: np.ndarray, sessions: np.ndarray, converting: np.ndarray, **covariates
) -> pd.DataFrame:
    """One row per customer: arm, sessions in the window, converting sessions among them, covariates."""
    frame = {
        "unit": np.arange(len(treated)),
        "treated": treated,
        "sessions": sessions,
        "converting": converting,
    }
    return pd.DataFrame({**frame, **covariates})


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _sessions_experiment(effect: float, n: int = 2000) -> Callable[[np.random.Generator], pd.DataFrame]:
    """Customers randomised 50/50; per customer a conversion propensity and a visit rate (correlated),
    sessions in the window and in a pre-period; each session converts with the customer's rate + effect."""

    def draw(rng: np.random.Generator) -> pd.DataFrame:
        base = 0.02 + 0.6 * rng.beta(0.8, 2, n)
        visits = rng.gamma(1.5, 1.0 + 4 * base)
        treated = rng.random(n) < 0.5
        sessions = rng.poisson(visits)
        pre_sessions = rng.poisson(visits)
        converting = rng.binomial(sessions, base + effect * treated)
        pre_converting = rng.binomial(pre_sessions, base)
        return _sessions_frame(
            treated, sessions, converting, pre_sessions=pre_sessions, pre_converting=pre_converting
        )

    return draw


def _heterogeneous_continuous(rng: np.random.Generator, n: int = 1000) -> pd.DataFrame:
    """Randomised, a continuous outcome whose effect varies with a pre-period covariate (mean effect 1)."""
    x = rng.normal(size=n)
    treated = rng.random(n) < 0.5
    y = 2 + 1.5 * x + (1 + 0.5 * x) * treated + rng.normal(size=n) * (1 + 0.3 * np.abs(x))
    return pd.DataFrame({"unit": np.arange(n), "treated": treated, "y": y, "x": x})


def _binary_propensity(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return _logistic(-0.2 + 0.7 * x1 - 0.5 * x2)


def _binary_outcome_probabilities(x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(y = 1) without and with treatment: non-linear in the covariates, the effect varying with them."""
    base = -0.6 + 0.8 * x1 + 0.4 * x1**2 - 0.3 * x2
    return _logistic(base), _logistic(base + 0.5 + 0.4 * x2)


def _heterogeneous_binary(rng: np.random.Generator, n: int = 2000) -> pd.DataFrame:
    """Confounded: x1 raises both the chance of treatment and the outcome; binary outcome, effect varying."""
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    treated = rng.random(n) < _binary_propensity(x1, x2)
    p0, p1 = _binary_outcome_probabilities(x1, x2)
    y = rng.random(n) < np.where(treated, p1, p0)
    return pd.DataFrame({"unit": np.arange(n), "treated": treated, "y": y, "x1": x1, "x2": x2})


@cache
def _heterogeneous_binary_truth() -> float:
    rng = np.random.default_rng(20260)
    x1, x2 = rng.normal(size=2_000_000), rng.normal(size=2_000_000)
    p0, p1 = _binary_outcome_probabilities(x1, x2)
    return float(np.mean(p1 - p0))


def _weak_overlap(rng: np.random.Generator, n: int = 3000) -> pd.DataFrame:
    """Propensities from about 0.02 to 0.98 (x1 drives treatment hard); a continuous outcome, non-linear in
    x1, effect 1 + x2 (mean 1, also among the units the trimming rule keeps: it selects on x1 only).
    Untrimmed, a few units carry weights of 50 and more and the normal CI under-covers (docs/causal.md)."""
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    e = _logistic(1.8 * x1)
    treated = rng.random(n) < e
    y = 1 + x1 + 0.5 * x1**2 + x2 + (1 + x2) * treated + rng.normal(size=n)
    return pd.DataFrame({"unit": np.arange(n), "treated": treated, "y": y, "x1": x1, "x2": x2})


def _campaign(uplift: float, n: int = 2500) -> Callable[[np.random.Generator], pd.DataFrame]:
    """The generator's campaign in miniature: contact odds rise with past spend and tenure; valuable
    customers visit and convert more anyway; every contacted session converts `uplift` more."""

    def draw(rng: np.random.Generator) -> pd.DataFrame:
        value = rng.normal(size=n)
        spend = np.exp(3 + value + 0.5 * rng.normal(size=n)) * (rng.random(n) < 0.8)
        tenure = rng.uniform(0, 3, n)
        log_spend = np.log1p(spend)
        e = _logistic(-1.8 + 0.45 * log_spend + 0.5 * tenure)
        treated = rng.random(n) < e
        sessions = rng.poisson(np.exp(0.3 + 0.4 * value))
        rate = np.clip(0.25 + 0.06 * value, 0.02, 0.9)
        converting = rng.binomial(sessions, rate + uplift * treated)
        return _sessions_frame(treated, sessions, converting, log_spend=log_spend, tenure_years=tenure)

    return draw


RANDOMISED = ("difference_in_means", "cuped")
OBSERVATIONAL = ("ipw", "aipw")

SHAPES = (
    Shape("clustered_sessions", _sessions_experiment(0.04), 0.04, RANDOMISED,
          ("pre_sessions", "pre_converting"), "sessions"),
    Shape("null_effect", _sessions_experiment(0.0), 0.0, RANDOMISED,
          ("pre_sessions", "pre_converting"), "sessions"),
    Shape("heterogeneous_continuous", _heterogeneous_continuous, 1.0, RANDOMISED, ("x",)),
    Shape("heterogeneous_binary_confounded", _heterogeneous_binary, float("nan"), OBSERVATIONAL, ("x1", "x2")),
    Shape("weak_overlap_trimmed", _weak_overlap, 1.0, OBSERVATIONAL, ("x1", "x2"), trim=0.1),
    Shape("campaign_sessions", _campaign(0.06), 0.06, OBSERVATIONAL,
          ("log_spend", "tenure_years"), "sessions"),
    Shape("campaign_null_effect", _campaign(0.0), 0.0, OBSERVATIONAL,
          ("log_spend", "tenure_years"), "sessions"),
)  # fmt: skip


def truth_of(shape: Shape) -> float:
    return _heterogeneous_binary_truth() if shape.name == "heterogeneous_binary_confounded" else shape.truth
