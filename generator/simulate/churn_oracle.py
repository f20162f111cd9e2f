"""The true probability of the churn label (labels.py) under the generator's own process, from the state
at the start of an as-of day.

From as-of day D on, a customer who has not churned places orders on day d as a Poisson count with mean
mu_d = visit_rate_d x (segment conversion x mean device factor_d + experiment effect x treated_d
+ campaign uplift x uplifted_d) (sessions are Poisson, each converts independently), and at the end of
day d churns (stops visiting for good) with the hazard h_d. While no order is placed the hazard's inputs
move deterministically (recency grows; returns and order tickets arrive on days already scheduled), so

    V_d = exp(-mu_d) x (h_d + (1 - h_d) x V_(d+1)),  V_(D+H) = 1,  P(label) = V_D

is exact. What is still random at D mixes in by its probability: an experiment variant not yet drawn
(50/50 at the first session in the window, which is equivalent to drawing it at D) and a confounded
campaign contact not yet drawn (its propensity, from covariates that do not move without orders).
"""

from __future__ import annotations

import numpy as np

from generator.config import Params
from generator.labels import CHURN_HORIZON_DAYS
from generator.simulate import drift, marketing
from generator.simulate.calendar import DAY_SECONDS, day_epoch, demand_factor
from generator.simulate.customers import CONVERSION, CustomerState, hazard, visit_rate

Schedule = dict[int, list[np.ndarray]]  # day -> customer indices (one entry per event)


def _scheduled(schedule: Schedule, rows: np.ndarray, n: int, first_day: int, horizon: int) -> np.ndarray:
    """(len(rows) x horizon) running count of the events scheduled from first_day on, per customer."""
    counts = np.zeros((n, horizon), np.int64)
    for day, parts in schedule.items():
        if first_day <= day < first_day + horizon:
            for who in parts:
                np.add.at(counts[:, day - first_day], who, 1)
    return np.cumsum(counts[rows], axis=1)


def _no_order(exp_mu: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The backward recursion over the window's days (columns)."""
    v = exp_mu[:, -1].copy()
    for t in range(exp_mu.shape[1] - 2, -1, -1):
        v = exp_mu[:, t] * (h[:, t] + (1.0 - h[:, t]) * v)
    return v


def _treatment_odds(cust: CustomerState, rows: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probability of being in treatment, days of the window the experiment runs)."""
    running = (days >= marketing.EXPERIMENT_START_DAY) & (
        days < marketing.EXPERIMENT_START_DAY + marketing.EXPERIMENT_DAYS
    )
    if not running.any():  # the variant cannot matter: one scenario instead of two
        return np.zeros(len(rows)), running
    variant = cust.variant[rows]
    return np.where(variant == 2, 1.0, np.where(variant == 0, 0.5, 0.0)), running


def _contact_odds(
    cust: CustomerState, rows: np.ndarray, days: np.ndarray, params: Params
) -> tuple[np.ndarray, np.ndarray]:
    """(probability of the uplift pattern, customers x days uplift pattern if contacted)."""
    start = marketing.CONFOUNDED_START_DAY
    if days[0] > start:  # contacts known: the pattern is the customer's own, with certainty
        return np.ones(len(rows)), cust.uplift_until[rows][:, None] >= days[None, :]
    window = (days >= start) & (days < start + marketing.CONFOUNDED_DAYS)
    campaign_start = day_epoch(params.start_date) + start * DAY_SECONDS
    tenure = marketing.tenure_days(cust, rows, campaign_start)
    odds = marketing.contact_propensity(cust.spend_cents[rows], tenure) * cust.opt_in[rows]
    return odds, np.broadcast_to(window, (len(rows), len(days)))


def no_order_probability(
    cust: CustomerState, returns: Schedule, tickets: Schedule, day: int, params: Params
) -> np.ndarray:
    """P(label true) for customers 0..cust.n-1 (everyone signed up before `day`); 1 once churned."""
    n, horizon = cust.n, CHURN_HORIZON_DAYS
    days = day + np.arange(horizon)
    drifted = days >= params.drift_day
    demand = np.array([demand_factor(params.date_of(int(d))) for d in days])
    rows = np.flatnonzero(cust.churned_day[:n] < 0)
    seg = cust.segment[rows][:, None]
    sessions = visit_rate(seg, demand[None, :], drifted[None, :])
    device = np.array([drift.mean_device_conversion(bool(x)) for x in drifted])
    base = CONVERSION[seg] * device[None, :]
    n_returns = cust.n_returns[rows][:, None] + _scheduled(returns, rows, n, day, horizon)
    n_tickets = cust.n_tickets[rows][:, None] + _scheduled(tickets, rows, n, day, horizon)
    since = days[None, :] - cust.last_order_day[rows][:, None]
    h = np.minimum(hazard(seg, n_returns, n_tickets, cust.n_orders[rows][:, None], since), 1.0)

    p_treat, running = _treatment_odds(cust, rows, days)
    p_contact, uplifted = _contact_odds(cust, rows, days, params)
    result = np.zeros(len(rows))
    for treated, w_treat in ((True, p_treat), (False, 1.0 - p_treat)):
        for contacted, w_contact in ((True, p_contact), (False, 1.0 - p_contact)):
            weight = w_treat * w_contact
            if not weight.any():
                continue
            rate = base + marketing.EXPERIMENT_EFFECT * (treated & running)[None, :]
            if contacted:
                rate = rate + marketing.CAMPAIGN_UPLIFT * uplifted
            result += weight * _no_order(np.exp(-sessions * rate), h)
    out = np.ones(n)
    out[rows] = result
    return out
