"""Per-customer taste drives what customers buy: the oracle ranking from `_truth/` beats popularity on a
later window of the landing data."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from gen_landing_io import truth_csv, valid_rows
from gen_support import TINY_PARAMS

from generator.recommendation_oracle import top_products
from generator.reference import CATEGORIES
from generator.simulate.preferences import PRICE_SEGMENTS

LATER_DAYS = 30  # the evaluation window: the last 30 days; popularity is learnt before it


def _purchases(landing: Path) -> tuple[Counter[int], dict[int, set[int]]]:
    """(units sold per product before the later window, products each customer bought in it)."""
    cut = TINY_PARAMS.date_of(TINY_PARAMS.days - LATER_DAYS).isoformat()
    orders = {str(r["order_id"]): r for r in valid_rows(landing, "orders", "order_id")}
    before: Counter[int] = Counter()
    later: dict[int, set[int]] = defaultdict(set)
    seen: set[str] = set()
    for item in valid_rows(landing, "order_items", "order_item_id"):
        order = orders.get(str(item["order_id"]))
        if order is None or str(item["order_item_id"]) in seen:
            continue
        seen.add(str(item["order_item_id"]))
        product = int(str(item["product_id"]))
        if str(order["ordered_at"]) < cut:
            before[product] += 1
        else:
            later[int(str(order["customer_id"]).strip())].add(product)
    return before, later


def _recall(ranking: dict[int, list[int]], later: dict[int, set[int]]) -> float:
    return sum(len(set(ranking[c]) & bought) / len(bought) for c, bought in later.items()) / len(later)


def test_oracle_ranking_beats_popularity_on_a_later_window(tiny: Path) -> None:
    before, later = _purchases(tiny)
    assert len(later) > 50
    popular = [p for p, _ in before.most_common(10)]
    oracle = top_products(tiny / "_truth", 10)
    assert set(later) <= set(oracle) and all(len(r) == 10 for r in oracle.values())
    popularity_recall = _recall({c: popular for c in later}, later)
    oracle_recall = _recall(oracle, later)
    assert popularity_recall > 0.2  # popularity is a real baseline here
    assert oracle_recall > popularity_recall + 0.1  # taste is there to learn


def test_preference_files_describe_every_customer_and_product(tiny: Path) -> None:
    customers = truth_csv(tiny, "customer_preferences.csv")
    codes = [c[0] for c in CATEGORIES]
    assert [int(r["customer_id"]) for r in customers] == list(range(1, len(customers) + 1))
    for r in customers:
        assert sum(float(r[f"affinity_{c}"]) for c in codes) == pytest.approx(1.0, abs=1e-4)
        assert r["price_segment"] in PRICE_SEGMENTS
    assert len({r["price_segment"] for r in customers}) == len(PRICE_SEGMENTS)
    products = truth_csv(tiny, "product_appeal.csv")
    landed = {int(str(r["product_id"])) for r in valid_rows(tiny, "products", "product_id")}
    assert {int(r["product_id"]) for r in products} == landed
    neutral = [float(r["appeal_neutral"]) for r in products]
    assert neutral == pytest.approx([float(r["popularity"]) for r in products], abs=1e-6)  # no price tilt
