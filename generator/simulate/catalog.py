"""Products: a catalogue in co-purchase groups, with price, category and availability changes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.pools import Pools
from generator.reference import CATEGORIES
from generator.simulate.tables import DAY, FIRST, UID, TableBuilder

GROUP_SIZE = 8  # products bought together; recommendations can learn these groups
PRICE_CHANGE_RATE = 0.004
CATEGORY_CHANGE_RATE = 0.0002
DEACTIVATION_RATE = 0.0004
_CATEGORY_CODES = np.array([c[0] for c in CATEGORIES], dtype=object)
_MEAN_PRICE = np.array([c[3] for c in CATEGORIES])
_NOUNS = np.array(
    ["Set", "Kit", "Pro", "Mini", "Max", "Classic", "One", "Plus", "Lite", "Edition"], dtype=object
)


@dataclass
class ProductState:
    capacity: int
    n: int = 0
    category: np.ndarray = field(init=False)
    group: np.ndarray = field(init=False)
    popularity: np.ndarray = field(init=False)
    price_cents: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    created_at: np.ndarray = field(init=False)
    created_day: np.ndarray = field(init=False)
    name: np.ndarray = field(init=False)
    brand: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        c = self.capacity
        self.category, self.group = np.zeros(c, np.int64), np.zeros(c, np.int64)
        self.popularity, self.price_cents = np.zeros(c), np.zeros(c, np.int64)
        self.active, self.created_at = np.zeros(c, bool), np.zeros(c, np.int64)
        self.created_day = np.zeros(c, np.int64)
        self.name, self.brand = np.empty(c, object), np.empty(c, object)

    def buyable(self, day: int) -> np.ndarray:
        idx = np.arange(self.n)
        return idx[self.active[: self.n] & (self.created_day[: self.n] < day)]


def add_products(
    state: ProductState, pools: Pools, rng: np.random.Generator, count: int, day: int, created_at: np.ndarray
) -> np.ndarray:
    idx = np.arange(state.n, state.n + count)
    state.n += count
    if day == 0:  # the opening catalogue: whole groups of one category, in category order
        category = np.repeat(rng.choice(len(CATEGORIES), size=count // GROUP_SIZE + 1), GROUP_SIZE)[:count]
        group = idx // GROUP_SIZE
    else:  # a newcomer joins a random existing group and takes that group's category
        group = rng.integers(0, state.group[: state.n - count].max() + 1, size=count)
        category = state.category[group * GROUP_SIZE]
    state.category[idx], state.group[idx] = category, group
    state.popularity[idx] = rng.lognormal(0.0, 0.8, size=count)
    price = _MEAN_PRICE[category] * rng.lognormal(-0.2, 0.5, size=count)
    state.price_cents[idx] = np.maximum(99, (np.round(price) * 100 - 1).astype(np.int64))
    state.active[idx] = True
    state.created_at[idx], state.created_day[idx] = created_at, day
    state.brand[idx] = pools.brands[rng.integers(0, len(pools.brands), size=count)]
    adjective = pools.adjectives[rng.integers(0, len(pools.adjectives), size=count)]
    state.name[idx] = (
        adjective
        + " "
        + _NOUNS[rng.integers(0, len(_NOUNS), size=count)]
        + " "
        + (idx + 1).astype(str).astype(object)
    )
    return idx


def change_products(state: ProductState, rng: np.random.Generator, day: int) -> np.ndarray:
    """Price moves, recategorisations and deactivations; returns changed indices."""
    live = state.buyable(day)
    repriced = live[rng.random(len(live)) < PRICE_CHANGE_RATE]
    factor = rng.choice([0.8, 0.9, 0.95, 1.05, 1.1, 1.2], size=len(repriced))
    state.price_cents[repriced] = np.maximum(
        99, (state.price_cents[repriced] * factor).round().astype(np.int64)
    )
    moved = live[rng.random(len(live)) < CATEGORY_CHANGE_RATE]
    state.category[moved] = rng.integers(0, len(CATEGORIES), size=len(moved))
    retired = live[rng.random(len(live)) < DEACTIVATION_RATE]
    state.active[retired] = False
    return np.unique(np.concatenate([repriced, moved, retired]))


def emit_rows(
    out: TableBuilder, state: ProductState, idx: np.ndarray, updated_at: np.ndarray, day: int, first: bool
) -> None:
    out.add(
        product_id=idx + 1,
        sku=np.array([f"SKU-{i:07d}" for i in idx + 1], dtype=object),
        product_name=state.name[idx],
        category_code=_CATEGORY_CODES[state.category[idx]],
        brand=state.brand[idx],
        unit_price=state.price_cents[idx],
        currency_code=np.full(len(idx), "EUR", dtype=object),
        is_active=state.active[idx],
        created_at=state.created_at[idx],
        updated_at=updated_at,
        **{UID: (idx + 1) * 100_000 + day, DAY: np.full(len(idx), day), FIRST: np.full(len(idx), first)},
    )
