"""The A/B experiment stays randomised: its arms are balanced on what customers were before it started
(spend, tenure, loyalty tier, latent segment) and on the planted churn propensity, over several seeds,
and the balance check is strong enough to catch an assignment that leans on a covariate."""

from __future__ import annotations

import numpy as np

from generator.config import Params
from generator.pools import build_pools
from generator.simulate import marketing
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.customers import TIERS
from generator.simulate.world import Simulation

SEEDS = (1, 2, 3)
LIMIT = 4.0  # |z| of a difference in means between the arms; a fair coin passes it almost always


def _covariates_and_arms(seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Covariates of the customers who exist at the experiment's first day, taken then (before anyone is
    assigned), and the arm each of them was assigned to by its end (1 control, 2 treatment, 0 never)."""
    params = Params(seed=seed, scale=0.05, days=marketing.EXPERIMENT_START_DAY + marketing.EXPERIMENT_DAYS)
    sim = Simulation(params, build_pools(seed))
    start = marketing.EXPERIMENT_START_DAY
    sim.run(range(start))
    cust = sim.state.cust
    who = np.arange(cust.n)
    covariates = {
        "log_spend": np.log1p(cust.spend_cents[who] / 100),
        "tenure_days": (sim.epoch0 + start * DAY_SECONDS - cust.signed_up_at[who]) / DAY_SECONDS,
        "orders": cust.n_orders[who].astype(float),
        "churn_hazard": cust.daily_hazard(start, who),  # the planted daily churn propensity
        **{f"tier_{t}": (cust.tier[who] == k).astype(float) for k, t in enumerate(TIERS)},
        **{f"segment_{k}": (cust.segment[who] == k).astype(float) for k in range(4)},
    }
    sim.run(range(start, params.days))
    return covariates, sim.state.cust.variant[who].copy()


def _z(x: np.ndarray, treated: np.ndarray) -> float:
    a, b = x[treated], x[~treated]
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return float((a.mean() - b.mean()) / se) if se > 0 else 0.0


def _all_seeds() -> tuple[dict[str, np.ndarray], np.ndarray]:
    parts = [_covariates_and_arms(seed) for seed in SEEDS]
    covariates = {k: np.concatenate([p[0][k] for p in parts]) for k in parts[0][0]}
    return covariates, np.concatenate([p[1] for p in parts])


def test_arms_are_balanced_on_pre_assignment_covariates_and_churn_propensity() -> None:
    covariates, arm = _all_seeds()
    assigned = arm > 0
    treated = arm[assigned] == 2
    n = int(assigned.sum())
    assert n > 2000 and abs(treated.mean() - 0.5) < LIMIT * 0.5 / np.sqrt(n)  # a 50/50 coin
    for name, x in covariates.items():
        if x[assigned].std() > 0:
            assert abs(_z(x[assigned], treated)) < LIMIT, name
    # the churn propensity does not decide the arm: the treatment share is flat across its quintiles
    hazard = covariates["churn_hazard"][assigned]
    quintile = np.digitize(hazard, np.quantile(hazard, [0.2, 0.4, 0.6, 0.8]))
    for k in range(5):
        share, m = treated[quintile == k].mean(), int((quintile == k).sum())
        assert abs(share - 0.5) < LIMIT * 0.5 / np.sqrt(m), (k, share, m)


def test_the_balance_check_catches_an_assignment_that_leans_on_a_covariate() -> None:
    """The same customers, re-assigned with a coin tilted by 0.1 towards treatment above the median (else away) of
    one covariate at a time: every tilted assignment fails the check above."""
    covariates, arm = _all_seeds()
    assigned = arm > 0
    rng = np.random.default_rng(0)
    for name in ("log_spend", "tenure_days", "churn_hazard"):
        x = covariates[name][assigned]
        tilted = rng.random(len(x)) < np.where(x > np.median(x), 0.6, 0.4)
        assert abs(_z(x, tilted)) > LIMIT, name
