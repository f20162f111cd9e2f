"""The oracle recommender: each customer's products ranked by the generator's own choice probability
(truth_taste.py), read back from `_truth/`. A recommender evaluated on a later window can be compared with
it (its recall@k is the ceiling a model of taste can reach) and with plain popularity (the floor)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from generator.simulate.preferences import PRICE_SEGMENTS
from generator.truth_taste import CATEGORY_CODES, CUSTOMER_FILE, PRODUCT_FILE

_CHUNK = 2_048  # customers scored at once: bounds the (customers x products) score matrix


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def top_products(truth_dir: Path, k: int = 10) -> dict[int, list[int]]:
    """customer_id -> the k buyable product_ids with the highest choice probability, best first."""
    customers = _read(truth_dir / CUSTOMER_FILE)
    products = [p for p in _read(truth_dir / PRODUCT_FILE) if p["buyable"] == "true"]
    if not customers or not products:
        return {}
    ids = np.array([int(p["product_id"]) for p in products])
    category = np.array([CATEGORY_CODES.index(p["category_code"]) for p in products])
    weight = np.array([float(p["category_weight"]) for p in products])
    appeal = np.array([[float(p[f"appeal_{s}"]) for p in products] for s in PRICE_SEGMENTS]) * weight
    affinity = np.array([[float(c[f"affinity_{code}"]) for code in CATEGORY_CODES] for c in customers])
    segment = np.array([PRICE_SEGMENTS.index(c["price_segment"]) for c in customers])
    customer_ids = [int(c["customer_id"]) for c in customers]
    k = min(k, len(ids))
    ranking: dict[int, list[int]] = {}
    for lo in range(0, len(customers), _CHUNK):
        rows = slice(lo, lo + _CHUNK)
        score = affinity[rows][:, category] * appeal[segment[rows]]
        top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(top, order, axis=1)
        for cid, picks in zip(customer_ids[rows], ids[best], strict=True):
            ranking[cid] = picks.tolist()
    return ranking
