"""Campaigns (one confounded with customer value), their contacts, and the A/B experiment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.customers import CustomerState
from generator.simulate.tables import DAY, UID, TableBuilder

EXPERIMENT_ID = 1
EXPERIMENT_START_DAY = 14
EXPERIMENT_DAYS = 42
EXPERIMENT_EFFECT = 0.04  # absolute lift of session conversion for treatment sessions

CONFOUNDED_CAMPAIGN_ID = 1
CONFOUNDED_START_DAY = 21
CONFOUNDED_DAYS = 30
CAMPAIGN_UPLIFT = 0.06  # absolute lift of session conversion for contacted customers while it runs
# Contact probability of an eligible customer (opted in, signed up before the start) is a logistic in two
# covariates the warehouse sees: log(1 + spend in EUR before the start) and tenure in years (capped):
# it rises with value but stays strictly inside (0, 1), so every customer could land in either arm.
PROPENSITY_INTERCEPT = -1.8
PROPENSITY_LOG_SPEND = 0.45
PROPENSITY_TENURE_YEARS = 0.5
PROPENSITY_TENURE_CAP_YEARS = 3.0
ROUTINE_FIRST_DAY, ROUTINE_EVERY, ROUTINE_DAYS, ROUTINE_SHARE = 35, 28, 14, 0.1

_ROUTINE = (
    ("email", "retention"),
    ("social_paid", "reactivation"),
    ("display", "awareness"),
    ("email", "upsell"),
)
_SEASONS = ("Winter", "Spring", "Summer", "Autumn")


@dataclass(frozen=True)
class Propensity:
    """The confounded campaign's eligible customers (index) with their covariates and true propensity."""

    customer: np.ndarray
    spend_cents: np.ndarray
    tenure_days: np.ndarray
    propensity: np.ndarray
    contacted: np.ndarray


def contact_propensity(spend_cents: np.ndarray, tenure_days: np.ndarray) -> np.ndarray:
    years = np.minimum(tenure_days / 365.0, PROPENSITY_TENURE_CAP_YEARS)
    logit = (
        PROPENSITY_INTERCEPT
        + PROPENSITY_LOG_SPEND * np.log1p(spend_cents / 100.0)
        + PROPENSITY_TENURE_YEARS * years
    )
    return 1.0 / (1.0 + np.exp(-logit))


def tenure_days(customers: CustomerState, who: np.ndarray, day_start: int) -> np.ndarray:
    """Whole days from the sign-up date to `day_start`'s date, as the warehouse counts them."""
    return day_start // DAY_SECONDS - customers.signed_up_at[who] // DAY_SECONDS


def confounded_eligible(customers: CustomerState, day: int) -> np.ndarray:
    """Opted-in customers signed up before the start day, churned or not (churn is not observable)."""
    idx = np.arange(customers.n)
    return idx[customers.opt_in[: customers.n] & (customers.signup_day[: customers.n] < day)]


@dataclass(frozen=True)
class Campaign:
    campaign_id: int
    day: int
    days: int
    channel: str
    objective: str
    confounded: bool


def campaign_on(day: int) -> Campaign | None:
    """The campaign that starts on `day`, from a fixed schedule (so it is horizon independent)."""
    if day == CONFOUNDED_START_DAY:
        return Campaign(CONFOUNDED_CAMPAIGN_ID, day, CONFOUNDED_DAYS, "email", "loyalty_boost", True)
    if day >= ROUTINE_FIRST_DAY and (day - ROUTINE_FIRST_DAY) % ROUTINE_EVERY == 0:
        k = (day - ROUTINE_FIRST_DAY) // ROUTINE_EVERY
        channel, objective = _ROUTINE[k % len(_ROUTINE)]
        return Campaign(k + 2, day, ROUTINE_DAYS, channel, objective, False)
    return None


def choose_audience(
    campaign: Campaign, customers: CustomerState, rng: np.random.Generator, day_start: int
) -> tuple[np.ndarray, Propensity | None]:
    """Who is contacted; for the confounded campaign also every eligible customer's propensity."""
    if not campaign.confounded:
        pool = customers.active_before(campaign.day + 1)
        pool = pool[customers.opt_in[pool]]
        return pool[rng.random(len(pool)) < ROUTINE_SHARE], None
    eligible = confounded_eligible(customers, campaign.day)
    spend, tenure = customers.spend_cents[eligible], tenure_days(customers, eligible, day_start)
    propensity = contact_propensity(spend, tenure)
    contacted = rng.random(len(eligible)) < propensity  # targeting on value: the source of confounding
    return eligible[contacted], Propensity(eligible, spend, tenure, propensity, contacted)


def run_campaign(
    campaign: Campaign,
    customers: CustomerState,
    audience: np.ndarray,
    rng: np.random.Generator,
    day_start: int,
    next_contact_id: int,
    campaigns: TableBuilder,
    contacts: TableBuilder,
    month_name: str,
) -> int:
    """Contacts the audience; returns the number of contacts."""
    until = campaign.day + campaign.days - 1
    customers.campaign_id[audience], customers.campaign_until[audience] = campaign.campaign_id, until
    if campaign.confounded:
        customers.uplift_until[audience] = until
    n = len(audience)
    contacts.add(
        contact_id=next_contact_id + np.arange(n),
        campaign_id=np.full(n, campaign.campaign_id),
        customer_id=audience + 1,
        contacted_at=day_start + 9 * 3600 + rng.integers(0, 7200, size=n),
        **{UID: next_contact_id + np.arange(n), DAY: np.full(n, campaign.day)},
    )
    campaigns.add(
        campaign_id=np.array([campaign.campaign_id]),
        campaign_name=np.array(
            [f"{month_name} {campaign.objective.replace('_', ' ').title()}"], dtype=object
        ),
        channel_code=np.array([campaign.channel], dtype=object),
        objective=np.array([campaign.objective], dtype=object),
        starts_on=np.array([campaign.day]),
        ends_on=np.array([until]),
        budget=np.array([100_000 + 50 * n]),
        updated_at=np.array([day_start + 8 * 3600]),
        **{UID: np.array([campaign.campaign_id]), DAY: np.array([campaign.day])},
    )
    return n


def in_experiment(day: int) -> bool:
    return EXPERIMENT_START_DAY <= day < EXPERIMENT_START_DAY + EXPERIMENT_DAYS


def assign_variants(
    customers: CustomerState,
    rng: np.random.Generator,
    session_customer: np.ndarray,
    session_start: np.ndarray,
    day: int,
    next_assignment_id: int,
    out: TableBuilder,
) -> int:
    """Assigns customers 50/50 at their first session in the window; returns the number assigned."""
    known = session_customer >= 0
    new = np.flatnonzero(known & (customers.variant[np.maximum(session_customer, 0)] == 0))
    # sessions are in start order, so np.unique's first index is each customer's first session of the day
    _, first = np.unique(session_customer[new], return_index=True)
    chosen = new[np.sort(first)]
    who = session_customer[chosen]
    variant = 1 + (rng.random(len(who)) < 0.5)
    customers.variant[who] = variant
    n = len(who)
    out.add(
        assignment_id=next_assignment_id + np.arange(n),
        experiment_id=np.full(n, EXPERIMENT_ID),
        customer_id=who + 1,
        variant=np.array(["", "control", "treatment"], dtype=object)[variant],
        assigned_at=session_start[chosen],
        **{UID: next_assignment_id + np.arange(n), DAY: np.full(n, day)},
    )
    return n
