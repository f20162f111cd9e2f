"""Coverage is a frequency, so it is tested as one: for each simulated shape, 200 seeded replications; the
95 % CIs of every estimator fit for the design must cover the true effect in 92-98 % of them, and the mean
estimate must sit within Monte-Carlo error of the truth. No warehouse: the library alone."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import ml.causal as causal
from tests.causal.simulate import SHAPES, Shape, truth_of

REPLICATIONS = 200
SEED = 2026


@cache
def replications(shape: Shape) -> dict[str, np.ndarray]:
    """Per estimator: (effect, ci_lower, ci_upper) of every replication, plus the naive difference."""
    index = SHAPES.index(shape)
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in (*shape.estimators, "naive")}
    for replication in range(REPLICATIONS):
        data = shape.draw(np.random.default_rng([SEED, index, replication]))
        for name in (*shape.estimators, "naive"):
            estimator = causal.naive_difference if name == "naive" else getattr(causal, name)
            if name in ("ipw", "aipw"):
                estimate = estimator(data, shape.design, trim=shape.trim)
            else:
                estimate = estimator(data, shape.design)
            rows[name].append((estimate.effect, estimate.ci_lower, estimate.ci_upper))
    return {name: np.array(values) for name, values in rows.items()}


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_confidence_intervals_cover_the_truth_95_percent_of_the_time(shape: Shape) -> None:
    truth = truth_of(shape)
    results = replications(shape)
    report = []
    for name in shape.estimators:
        effect, lower, upper = results[name].T
        coverage = float(np.mean((lower <= truth) & (truth <= upper)))
        bias = float(effect.mean() - truth)
        monte_carlo_error = float(effect.std(ddof=1) / np.sqrt(len(effect)))
        report.append(f"{name}: coverage {coverage:.3f}, bias {bias:+.5f} (MC s.e. {monte_carlo_error:.5f})")
        assert 0.92 <= coverage <= 0.98, "\n".join(report)
        assert abs(bias) < 4 * monte_carlo_error, "\n".join(report)
    print(f"\n{shape.name} (truth {truth:.4f}): " + "; ".join(report))


@pytest.mark.parametrize(
    "name", ["campaign_sessions", "heterogeneous_binary_confounded", "weak_overlap_trimmed"]
)
def test_the_naive_difference_is_biased_where_treatment_follows_covariates(name: str) -> None:
    """The coverage test has teeth: on the confounded shapes the naive difference misses."""
    shape = next(s for s in SHAPES if s.name == name)
    effect, lower, upper = replications(shape)["naive"].T
    truth = truth_of(shape)
    assert abs(effect.mean() - truth) > 10 * effect.std(ddof=1) / np.sqrt(len(effect))
    assert np.mean((lower <= truth) & (truth <= upper)) < 0.92


def test_cuped_narrows_the_interval_with_a_pre_period_covariate() -> None:
    shape = next(s for s in SHAPES if s.name == "heterogeneous_continuous")
    data = shape.draw(np.random.default_rng([SEED, 99]))
    plain = causal.difference_in_means(data, shape.design)
    adjusted = causal.cuped(data, shape.design)
    reduction = adjusted.diagnostics["variance_reduction"]
    assert adjusted.std_error < plain.std_error and reduction > 0.4
    assert adjusted.std_error == pytest.approx(plain.std_error * np.sqrt(1 - reduction))
