"""Recommendation truth: each customer's latent taste and each product's appeal after the last day, enough to
rank products for a customer exactly as the generator's choice probability does (preferences.py):

    score(customer i, product j) = affinity_i[category_j] x category_weight_j x appeal_(price segment of i)(j)

over the products with buyable = true. Product views, browsing cart adds and the first line of every
basket follow these probabilities; further basket lines often follow the first line's co-purchase group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from generator import truth_io
from generator.reference import CATEGORIES
from generator.simulate import drift, preferences
from generator.simulate.world import World

CUSTOMER_FILE = "customer_preferences.csv"
PRODUCT_FILE = "product_appeal.csv"
CATEGORY_CODES = tuple(c[0] for c in CATEGORIES)
APPEAL_PLACES = 8  # appeal spans a few orders of magnitude


def customer_columns(world: World) -> dict[str, pa.Array]:
    cust = world.customers
    n = cust.n
    columns = {
        "customer_id": truth_io.ints(np.arange(1, n + 1)),
        "price_segment": truth_io.labels(cust.price_segment[:n], preferences.PRICE_SEGMENTS),
        "price_elasticity": pa.array([f"{e:.1f}" for e in preferences.PRICE_ELASTICITY], pa.string()).take(
            pa.array(cust.price_segment[:n])
        ),
    }
    for c, code in enumerate(CATEGORY_CODES):
        columns[f"affinity_{code}"] = truth_io.decimals(cust.affinity[:n, c])
    return columns


def product_columns(world: World) -> dict[str, pa.Array]:
    prod, params = world.products, world.params
    n, after = prod.n, params.days  # the shelf of the day after the data: what a recommender faces next
    drifted = after >= params.drift_day
    appeal = preferences.appeal(prod.popularity[:n], prod.category[:n], prod.price_cents[:n])
    buyable = np.zeros(n, bool)
    buyable[prod.buyable(after)] = True
    columns = {
        "product_id": truth_io.ints(np.arange(1, n + 1)),
        "category_code": truth_io.labels(prod.category[:n], CATEGORY_CODES),
        "buyable": truth_io.bools(buyable),
        "popularity": truth_io.decimals(prod.popularity[:n]),
        "category_weight": truth_io.decimals(drift.category_weights(drifted)[prod.category[:n]]),
    }
    for k, segment in enumerate(preferences.PRICE_SEGMENTS):
        columns[f"appeal_{segment}"] = truth_io.decimals(appeal[k], APPEAL_PLACES)
    return columns


def write(truth_dir: Path, world: World) -> None:
    truth_io.write_columns(truth_dir / CUSTOMER_FILE, customer_columns(world))
    truth_io.write_columns(truth_dir / PRODUCT_FILE, product_columns(world))
