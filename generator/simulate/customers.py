"""Customers: a growing base with segments, tastes, profile changes, loyalty tiers and behaviour-driven
churn (a customer who churns stops visiting for good)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.pools import Pools, flat_pool
from generator.reference import COUNTRIES
from generator.rng import each_with
from generator.simulate import drift, preferences
from generator.simulate.tables import DAY, FIRST, UID, TableBuilder

SEGMENTS = ("occasional", "regular", "loyal", "vip")
SEGMENT_SHARE = np.array([0.50, 0.30, 0.15, 0.05])
VISIT_WEIGHT = np.array([1.0, 2.5, 5.0, 8.0])
# identified sessions per customer and day = VISIT_RATE x VISIT_WEIGHT[segment] x demand factor of the day
# (x the drift's visit factor): each customer visits as a Poisson process of their own, whoever else is there
VISIT_RATE = 0.0254
CONVERSION = np.array([0.26, 0.34, 0.41, 0.48])
BASE_DAILY_HAZARD = np.array([0.0011, 0.0007, 0.00045, 0.0003])
TIERS = ("standard", "silver_club", "gold_club", "platinum_club")
TIER_SPEND_CENTS = np.array([0, 50_000, 150_000, 400_000])
ADDRESS_CHANGE_RATE = 0.0008
EMAIL_CHANGE_RATE = 0.0004

_COUNTRY_CODES = np.array([c[0] for c in COUNTRIES], dtype=object)
_COUNTRY_SHARE = np.array([c[6] for c in COUNTRIES]) / sum(c[6] for c in COUNTRIES)
_PHONE_PREFIX = np.array(
    ["+49", "+33", "+31", "+32", "+43", "+34", "+39", "+351", "+48", "+420", "+46", "+45", "+358", "+353"],
    dtype=object,
)


_NAME_COLUMNS = (
    ("first_name", "first_names", 0),
    ("last_name", "last_names", 1),
    ("street_address", "streets", 2),
    ("city", "cities", 3),
    ("postal_code", "postcodes", 4),
)


def _zeros(capacity: int, dtype: type | str) -> np.ndarray:
    return np.zeros(capacity, dtype=dtype)


@dataclass
class CustomerState:
    """Per-customer attributes (index = customer_id - 1) and the behaviour that drives churn."""

    capacity: int
    n: int = 0
    country: np.ndarray = field(init=False)
    names: np.ndarray = field(init=False)  # first, last, street, city, postcode pool indices
    email: np.ndarray = field(init=False)
    phone: np.ndarray = field(init=False)
    tier: np.ndarray = field(init=False)
    opt_in: np.ndarray = field(init=False)
    signed_up_at: np.ndarray = field(init=False)
    signup_day: np.ndarray = field(init=False)
    segment: np.ndarray = field(init=False)
    churned_day: np.ndarray = field(init=False)
    n_orders: np.ndarray = field(init=False)
    spend_cents: np.ndarray = field(init=False)
    n_returns: np.ndarray = field(init=False)
    n_tickets: np.ndarray = field(init=False)
    last_order_day: np.ndarray = field(init=False)
    variant: np.ndarray = field(init=False)  # experiment: 0 unassigned, 1 control, 2 treatment
    campaign_id: np.ndarray = field(init=False)  # latest campaign contact, 0 none
    campaign_until: np.ndarray = field(init=False)  # last day that contact counts for
    uplift_until: np.ndarray = field(init=False)  # last day the confounded campaign lifts conversion
    affinity: np.ndarray = field(init=False)  # (customers x categories) taste, rows sum to 1; [-1] anonymous
    price_segment: np.ndarray = field(init=False)  # index into preferences.PRICE_SEGMENTS; [-1] anonymous

    def __post_init__(self) -> None:
        c = self.capacity
        self.country, self.names = _zeros(c, np.int64), np.zeros((c, 5), dtype=np.int64)
        self.email, self.phone = np.empty(c, dtype=object), np.empty(c, dtype=object)
        self.tier, self.opt_in, self.segment = _zeros(c, np.int64), _zeros(c, bool), _zeros(c, np.int64)
        self.signed_up_at, self.signup_day = _zeros(c, np.int64), _zeros(c, np.int64)
        self.churned_day = np.full(c, -1, dtype=np.int64)
        self.n_orders, self.spend_cents = _zeros(c, np.int64), _zeros(c, np.int64)
        self.n_returns, self.n_tickets = _zeros(c, np.int64), _zeros(c, np.int64)
        self.last_order_day = _zeros(c, np.int64)
        self.variant, self.campaign_id = _zeros(c, np.int64), _zeros(c, np.int64)
        self.campaign_until = np.full(c, -1, dtype=np.int64)
        self.uplift_until = np.full(c, -1, dtype=np.int64)
        # one row more than customers: index -1 (an anonymous visitor) is a flat taste, no price elasticity
        self.affinity = np.zeros((c + 1, preferences.N_CATEGORIES))
        self.affinity[-1] = 1.0
        self.price_segment = np.full(c + 1, preferences.NEUTRAL, dtype=np.int64)

    def active_before(self, day: int) -> np.ndarray:
        """Indices of customers who can visit on `day`: signed up earlier and not churned."""
        idx = np.arange(self.n)
        return idx[(self.signup_day[: self.n] < day) & (self.churned_day[: self.n] < 0)]

    def daily_hazard(self, day: int, who: np.ndarray) -> np.ndarray:
        n = self.n  # computed on slices (views) and then picked: cheaper than gathering five columns
        base = behaviour_hazard(self.segment[:n], self.n_returns[:n], self.n_tickets[:n], self.n_orders[:n])
        return (base * recency_factor(day - self.last_order_day[:n]))[who]


def behaviour_hazard(
    segment: np.ndarray, n_returns: np.ndarray, n_tickets: np.ndarray, n_orders: np.ndarray
) -> np.ndarray:
    """The daily churn hazard's behaviour part: fewer orders, returns and order tickets raise it."""
    behaviour = (
        0.35 * np.minimum(n_returns, 5) + 0.5 * np.minimum(n_tickets, 5) - 0.12 * np.minimum(n_orders, 10)
    )
    return BASE_DAILY_HAZARD[segment] * np.exp(behaviour)


def recency_factor(days_since_order: np.ndarray | int) -> np.ndarray:
    """The daily churn hazard's recency part: grows with the days since the last order (or sign-up).
    Daily hazard = behaviour_hazard x recency_factor."""
    return 1.0 + np.clip(np.asarray(days_since_order) / 120.0, 0.0, 3.0)


def visit_rate(segment: np.ndarray, demand: float | np.ndarray, drifted: bool | np.ndarray) -> np.ndarray:
    """Expected identified sessions of a customer on a day with this demand factor."""
    factor = np.where(drifted, drift.VISIT_FACTOR_AFTER, 1.0)
    return VISIT_RATE * VISIT_WEIGHT[segment] * demand * factor


def _emails(
    pools: Pools, country: np.ndarray, names: np.ndarray, ids: np.ndarray, domain: np.ndarray
) -> np.ndarray:
    firsts, first_offsets = flat_pool(pools, "first_names", slug=True)
    lasts, last_offsets = flat_pool(pools, "last_names", slug=True)
    local = firsts[first_offsets[country] + names[:, 0]] + "." + lasts[last_offsets[country] + names[:, 1]]
    return local + ids.astype(str).astype(object) + "@" + pools.email_domains[domain]


def _pool_indices(pools: Pools, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    sizes = np.array(
        [
            [len(p.first_names), len(p.last_names), len(p.streets), len(p.cities), len(p.postcodes)]
            for p in pools.countries
        ]
    )
    return (rng.random((len(country), 5)) * sizes[country]).astype(np.int64)


def sign_up(
    state: CustomerState,
    pools: Pools,
    rng: np.random.Generator,
    count: int,
    day: int,
    signed_up_at: np.ndarray,
) -> np.ndarray:
    """Adds `count` customers; returns their indices."""
    idx = np.arange(state.n, state.n + count)
    state.n += count
    state.country[idx] = rng.choice(len(COUNTRIES), size=count, p=_COUNTRY_SHARE)
    state.names[idx] = _pool_indices(pools, rng, state.country[idx])
    domain = rng.integers(0, len(pools.email_domains), size=count)
    state.email[idx] = _emails(pools, state.country[idx], state.names[idx], idx + 1, domain)
    digits = rng.integers(100_000_000, 999_999_999, size=count)
    has_phone = rng.random(count) < 0.85
    phones = _PHONE_PREFIX[state.country[idx]] + " " + digits.astype(str).astype(object)
    state.phone[idx] = np.where(has_phone, phones, None)
    state.opt_in[idx] = rng.random(count) < 0.6
    state.segment[idx] = rng.choice(len(SEGMENTS), size=count, p=SEGMENT_SHARE)
    state.affinity[idx], state.price_segment[idx] = preferences.draw(rng, count)
    state.signed_up_at[idx] = signed_up_at
    state.signup_day[idx] = day
    state.last_order_day[idx] = day
    return idx


def change_profiles(
    state: CustomerState, pools: Pools, rng: np.random.Generator, day: int, candidates: np.ndarray
) -> np.ndarray:
    """Address moves, new e-mail addresses and tier upgrades earned by spend among `candidates` (the
    day's active customers); returns changed indices."""
    moves, new_mail = (each_with(rng, candidates, rate) for rate in (ADDRESS_CHANGE_RATE, EMAIL_CHANGE_RATE))
    # spend only grows with an order, so only yesterday's buyers can have earned a higher tier
    buyers = candidates[state.last_order_day[candidates] == day - 1]
    earned = np.searchsorted(TIER_SPEND_CENTS, state.spend_cents[buyers], side="right") - 1
    upgraded = buyers[earned > state.tier[buyers]]
    state.tier[upgraded] = earned[earned > state.tier[buyers]]
    if len(moves):
        fresh = _pool_indices(pools, rng, state.country[moves])
        state.names[moves, 2:] = fresh[:, 2:]
    if len(new_mail):
        domain = rng.integers(0, len(pools.email_domains), size=len(new_mail))
        year = 2 + day  # a different local part than the sign-up address
        local = np.array([e.split("@")[0] for e in state.email[new_mail]], dtype=object)
        state.email[new_mail] = local + f".{year}@" + pools.email_domains[domain]
    return np.unique(np.concatenate([moves, new_mail, upgraded]))


def emit_rows(
    out: TableBuilder,
    state: CustomerState,
    pools: Pools,
    idx: np.ndarray,
    updated_at: np.ndarray,
    day: int,
    first: bool,
) -> None:
    names = state.names[idx]
    country = state.country[idx]
    cols = {}
    for column, attr, pos in _NAME_COLUMNS:
        values, offsets = flat_pool(pools, attr)
        cols[column] = values[offsets[country] + names[:, pos]]
    out.add(
        customer_id=idx + 1,
        email=state.email[idx],
        phone=state.phone[idx],
        country_code=_COUNTRY_CODES[country],
        loyalty_tier=np.array(TIERS, dtype=object)[state.tier[idx]],
        marketing_opt_in=state.opt_in[idx],
        signed_up_at=state.signed_up_at[idx],
        updated_at=updated_at,
        **cols,
        **{UID: (idx + 1) * 100_000 + day, DAY: np.full(len(idx), day), FIRST: np.full(len(idx), first)},
    )
