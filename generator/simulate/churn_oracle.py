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
from generator.simulate.customers import (
    CONVERSION,
    VISIT_RATE,
    VISIT_WEIGHT,
    CustomerState,
    behaviour_hazard,
    recency_factor,
)

Schedule = dict[int, list[np.ndarray]]  # day -> customer indices (one entry per event)


def _scheduled(
    schedule: Schedule, position: np.ndarray, first_day: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """(customers with events scheduled in the window, their running count per day: days x customers);
    few customers have any. `position` maps a customer index to its place in the window's arrays."""
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


class _Hazard:
    """The churn hazard on the path without orders, day by day: recency grows; returns and order tickets
    already scheduled arrive on their days (their behaviour part is kept per day for those few)."""

    def __init__(
        self, cust: CustomerState, rows: np.ndarray, returns: Schedule, tickets: Schedule, days: np.ndarray
    ) -> None:
        seg, n_returns, n_tickets, n_orders = (
            x[rows] for x in (cust.segment, cust.n_returns, cust.n_tickets, cust.n_orders)
        )
        self.base = behaviour_hazard(seg, n_returns, n_tickets, n_orders)
        self.since = days[0] - cust.last_order_day[rows]  # on the window's first day
        position = np.full(cust.n, -1)
        position[rows] = np.arange(len(rows))
        extra_returns = _scheduled(returns, position, int(days[0]), len(days))
        extra_tickets = _scheduled(tickets, position, int(days[0]), len(days))
        self.moved = np.union1d(extra_returns[0], extra_tickets[0])
        later = [np.zeros((len(days), len(self.moved)), np.int64) for _ in range(2)]
        for running, (affected, counts) in zip(later, (extra_returns, extra_tickets), strict=True):
            running[:, np.searchsorted(self.moved, affected)] = counts
        m = self.moved
        self.moved_base = behaviour_hazard(
            seg[m], n_returns[m] + later[0], n_tickets[m] + later[1], n_orders[m]
        )

    def on(self, t: int) -> np.ndarray:
        """The hazard on the window's day t."""
        base = self.base
        if len(self.moved):
            base = base.copy()
            base[self.moved] = self.moved_base[t]
        return np.minimum(base * recency_factor(self.since + t), 1.0)


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
    # expected identified sessions = visit weight x per-day factor (customers.visit_rate, factored)
    per_day = np.array([VISIT_RATE * demand_factor(params.date_of(int(d))) for d in days])
    per_day *= np.where(drifted, drift.VISIT_FACTOR_AFTER, 1.0)
    device = np.array([drift.mean_device_conversion(bool(x)) for x in drifted])
    rows = np.flatnonzero(cust.churned_day[:n] < 0)
    seg = cust.segment[rows]
    weight, conversion = VISIT_WEIGHT[seg], CONVERSION[seg]
    p_treat, running = _treatment_odds(cust, rows, days)
    p_contact, uplifted = _contact_odds(cust, rows, days, params)
    hazard = _Hazard(cust, rows, returns, tickets, days)
    hazards = [hazard.on(t) for t in range(horizon)]  # shared by the scenarios
    result = np.zeros(len(rows))
    for treated, w_treat in ((True, p_treat), (False, 1.0 - p_treat)):
        for contacted, w_contact in ((True, p_contact), (False, 1.0 - p_contact)):
            share = w_treat * w_contact
            if not share.any():
                continue
            # V_t = P(no order from day t on | alive at its start), from the last day back
            v = np.ones(len(rows))
            for t in range(horizon - 1, -1, -1):
                rate = conversion * device[t]
                if treated and running[t]:
                    rate = rate + marketing.EXPERIMENT_EFFECT
                if contacted and p_contact.any():
                    rate = rate + marketing.CAMPAIGN_UPLIFT * uplifted[t]
                h = hazards[t]
                v = np.exp(-(weight * per_day[t]) * rate) * (h + (1.0 - h) * v)
            result += share * v
    out = np.ones(n)
    out[rows] = result
    return out
