"""Per-customer taste: latent category affinities and a price segment. Every product a customer views,
adds to a cart or puts first in a basket is drawn with probability

    P(product j | customer i, day d) proportional to  affinity_i[category_j] x category_weight_d[category_j]
        x popularity_j x (price_j / mean price of category_j) ** -elasticity_i

over the products buyable on d. Anonymous visitors have no taste (flat affinity, no price elasticity):
for them the choice is popularity times the category weight, as before tastes were planted.
"""

from __future__ import annotations

import numpy as np

from generator.reference import CATEGORIES
from generator.simulate import drift

PRICE_SEGMENTS = ("budget", "neutral", "premium")
PRICE_SEGMENT_SHARE = np.array([0.35, 0.45, 0.20])
PRICE_ELASTICITY = np.array([1.0, 0.0, -0.7])  # budget buyers shun dear items, premium ones seek them
NEUTRAL = PRICE_SEGMENTS.index("neutral")
AFFINITY_CONCENTRATION = 0.5  # Dirichlet alpha per category: small, so each customer has a few favourites
N_CATEGORIES = len(CATEGORIES)
_MEAN_PRICE_CENTS = np.array([c[3] for c in CATEGORIES]) * 100.0


def draw(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(affinity rows summing to 1, price segment) for `count` new customers."""
    affinity = rng.dirichlet(np.full(N_CATEGORIES, AFFINITY_CONCENTRATION), size=count)
    segment = rng.choice(len(PRICE_SEGMENTS), size=count, p=PRICE_SEGMENT_SHARE)
    return affinity, segment


def appeal(popularity: np.ndarray, category: np.ndarray, price_cents: np.ndarray) -> np.ndarray:
    """(price segments x products): popularity x the price factor of each price segment."""
    relative_price = price_cents / _MEAN_PRICE_CENTS[category]
    return popularity * relative_price[None, :] ** -PRICE_ELASTICITY[:, None]


class Shelf:
    """The buyable products of one day, grouped by category, with cumulative choice weights per price
    segment: a draw picks a category from the customer's taste, then a product inside it."""

    def __init__(
        self, popularity: np.ndarray, category: np.ndarray, price: np.ndarray, live: np.ndarray, drifted: bool
    ) -> None:
        by_category = live[np.argsort(category[live], kind="stable")]
        self.live = by_category
        cats = category[by_category]
        self.lo = np.searchsorted(cats, np.arange(N_CATEGORIES), side="left")
        self.hi = np.searchsorted(cats, np.arange(N_CATEGORIES), side="right")
        weight = (
            appeal(popularity[by_category], cats, price[by_category]) * drift.category_weights(drifted)[cats]
        )
        cum = np.concatenate([np.zeros((len(PRICE_SEGMENTS), 1)), np.cumsum(weight, axis=1)], axis=1)
        self.mass = cum[:, self.hi] - cum[:, self.lo]  # (segments x categories)
        # every segment's cumulative shares in [0, 1], offset by the segment: one search serves them all
        total = cum[:, -1:]
        self.width = cum.shape[1]
        self.flat = (cum / total + np.arange(len(PRICE_SEGMENTS))[:, None]).ravel()
        self.share = self.mass / total

    def pick(
        self, rng: np.random.Generator, who: np.ndarray, affinity: np.ndarray, price_segment: np.ndarray
    ) -> np.ndarray:
        """One product index per entry of `who` (a row of `affinity` / `price_segment`). A customer's
        category distribution is built once per call however often they draw; a draw finds its category
        with one search over all of them (each customer's cumulative shares, offset by their rank)."""
        n = len(who)
        if n == 0:
            return np.zeros(0, np.int64)
        people, rank = np.unique(who, return_inverse=True)
        segment = price_segment[people]
        cum = np.cumsum(affinity[people] * self.mass[segment], axis=1)
        cum /= cum[:, -1:]
        cum += np.arange(len(people))[:, None]
        found = _search(cum.ravel(), rank + rng.random(n))
        category = np.minimum(found - rank * N_CATEGORIES, N_CATEGORIES - 1)
        segment = segment[rank]
        start = self.flat[segment * self.width + self.lo[category]]
        position = _search(self.flat, start + rng.random(n) * self.share[segment, category])
        position -= 1 + segment * self.width
        return self.live[np.clip(position, self.lo[category], self.hi[category] - 1)]


def _search(sorted_values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """searchsorted(side="right"), with the queries searched in ascending order: much faster on long
    arrays (each search starts where the previous one ended)."""
    order = np.argsort(queries)
    found = np.empty(len(queries), np.int64)
    found[order] = np.searchsorted(sorted_values, queries[order], side="right")
    return found
