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
# Matrices are (days of the window x customers): the recursion walks days, each a contiguous row.


def _scheduled(
    schedule: Schedule, position: np.ndarray, first_day: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """(columns with events scheduled in the window, their running count per day: days x columns); few
    customers have any. `position` maps a customer index to its column (-1: none)."""
    who, offset = [], []
    for day, parts in schedule.items():
        if first_day <= day < first_day + horizon:
            for customers in parts:
                who.append(position[customers])
                offset.append(np.full(len(customers), day - first_day))
    if not who:
        return np.zeros(0, np.int64), np.zeros((horizon, 0), np.int64)
    column, at = np.concatenate(who), np.concatenate(offset)
    keep = column >= 0
    affected, index = np.unique(column[keep], return_inverse=True)
    counts = np.zeros((horizon, len(affected)), np.int64)
    np.add.at(counts, (at[keep], index), 1)
    return affected, np.cumsum(counts, axis=0)


def _hazard(
    cust: CustomerState, rows: np.ndarray, returns: Schedule, tickets: Schedule, days: np.ndarray
) -> np.ndarray:
    """(days x customers) churn hazard on the path without orders: recency grows day by day; returns and
    order tickets already scheduled arrive on their days (recomputed for the few customers with any)."""
    seg, since = cust.segment[rows], days[:, None] - cust.last_order_day[rows][None, :]
    n_returns, n_tickets, n_orders = (x[rows] for x in (cust.n_returns, cust.n_tickets, cust.n_orders))
    h = hazard(seg, n_returns, n_tickets, n_orders, since)
    position = np.full(cust.n, -1)
    position[rows] = np.arange(len(rows))
    extra_returns = _scheduled(returns, position, int(days[0]), len(days))
    extra_tickets = _scheduled(tickets, position, int(days[0]), len(days))
    moved = np.union1d(extra_returns[0], extra_tickets[0])
    if len(moved):
        later = [np.zeros((len(days), len(moved)), np.int64) for _ in range(2)]
        for running, (affected, counts) in zip(later, (extra_returns, extra_tickets), strict=True):
            running[:, np.searchsorted(moved, affected)] = counts
        h[:, moved] = hazard(
            seg[moved],
            n_returns[moved] + later[0],
            n_tickets[moved] + later[1],
            n_orders[moved],
            since[:, moved],
        )
    return np.minimum(h, 1.0, out=h)


def _no_order(no_order_today: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The backward recursion over the window's days."""
    v = no_order_today[-1].copy()
    for t in range(len(h) - 2, -1, -1):
        v *= 1.0 - h[t]
        v += h[t]
        v *= no_order_today[t]
    return v


def _treatment_odds(cust: CustomerState, rows: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probability of being in treatment, the window's days the experiment runs)."""
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
    """(probability of the uplift pattern, days x customers uplift pattern if contacted)."""
    start = marketing.CONFOUNDED_START_DAY
    if days[0] > start:  # contacts known: the pattern is the customer's own, with certainty
        pattern = cust.uplift_until[rows][None, :] >= days[:, None]
        return np.full(len(rows), float(pattern.any())), pattern  # no uplift left: one scenario
    window = (days >= start) & (days < start + marketing.CONFOUNDED_DAYS)
    campaign_start = day_epoch(params.start_date) + start * DAY_SECONDS
    tenure = marketing.tenure_days(cust, rows, campaign_start)
    odds = marketing.contact_propensity(cust.spend_cents[rows], tenure) * cust.opt_in[rows]
    return odds, np.broadcast_to(window[:, None], (len(days), len(rows)))


def no_order_probability(
    cust: CustomerState, returns: Schedule, tickets: Schedule, day: int, params: Params
) -> np.ndarray:
    """P(label true) for customers 0..cust.n-1 (everyone signed up before `day`); 1 once churned."""
    n, horizon = cust.n, CHURN_HORIZON_DAYS
    days = day + np.arange(horizon)
    drifted = days >= params.drift_day
    demand = np.array([demand_factor(params.date_of(int(d))) for d in days])
    device = np.array([drift.mean_device_conversion(bool(x)) for x in drifted])
    rows = np.flatnonzero(cust.churned_day[:n] < 0)
    seg = cust.segment[rows]
    visits = visit_rate(
        seg[None, :], demand[:, None], drifted[:, None]
    )  # expected sessions, days x customers
    base = visits * CONVERSION[seg][None, :] * device[:, None]  # expected orders without effects
    h = _hazard(cust, rows, returns, tickets, days)

    p_treat, running = _treatment_odds(cust, rows, days)
    p_contact, uplifted = _contact_odds(cust, rows, days, params)
    uplift = marketing.CAMPAIGN_UPLIFT * visits * uplifted if p_contact.any() else None
    effect = marketing.EXPERIMENT_EFFECT * visits * running[:, None] if p_treat.any() else None
    result = np.zeros(len(rows))
    for treated, w_treat in ((True, p_treat), (False, 1.0 - p_treat)):
        for contacted, w_contact in ((True, p_contact), (False, 1.0 - p_contact)):
            weight = w_treat * w_contact
            if not weight.any():
                continue
            orders = base.copy()
            if treated and effect is not None:
                orders += effect
            if contacted and uplift is not None:
                orders += uplift
            result += weight * _no_order(np.exp(-orders, out=orders), h)
    out = np.ones(n)
    out[rows] = result
    return out
