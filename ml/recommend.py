"""Recommendations from implicit feedback: item-item collaborative filtering over time-decayed interaction
weights (features.get_features(..., "customer_product", ...)), with popularity as the fallback and the
floor, judged by recall@k and NDCG@k on the purchases of a later window.

    model = fit_item_item(interactions, products)           # interactions before the window
    ranking = model.recommend(interactions, k=10)           # customer_id -> product_ids, best first

A customer's score for a product is the sum, over what they interacted with, of their weight times the two
products' cosine similarity (each product keeps its NEIGHBOURS most similar ones), plus POPULARITY_BLEND x
the product's share of all weight (a small prior that breaks ties and fills short lists). Only products on
sale (fm_product_features.is_active) are recommended; a customer with no history gets the popular ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.preprocessing import normalize

NEIGHBOURS = 50
POPULARITY_BLEND = 0.1
_CHUNK = 2_048  # customers scored at once


@dataclass
class ItemItemModel:
    product_ids: np.ndarray  # the matrix's columns
    similarity: sparse.csr_matrix  # products x products, top NEIGHBOURS per row
    popularity: np.ndarray  # share of all interaction weight per product (0 for inactive products)
    popularity_blend: float = POPULARITY_BLEND

    def popular(self, k: int) -> list[int]:
        """The k products with the most interaction weight among those on sale."""
        top = np.argsort(-self.popularity, kind="stable")[:k]
        return [int(p) for p in self.product_ids[top[self.popularity[top] > 0]]]

    def scores(self, interactions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(customer ids, their scores over product_ids) for the customers in `interactions`."""
        customers, rows = np.unique(interactions["customer_id"].to_numpy(), return_inverse=True)
        column = {int(p): i for i, p in enumerate(self.product_ids)}
        known = interactions["product_id"].map(column)
        mask = known.notna().to_numpy()
        history = sparse.csr_matrix(
            (interactions["weight"].to_numpy()[mask], (rows[mask], known[mask].astype(int).to_numpy())),
            shape=(len(customers), len(self.product_ids)),
        )
        history = normalize(history, norm="l1")
        cf = np.asarray((history @ self.similarity).todense())
        top = cf.max(axis=1, keepdims=True)
        cf = np.divide(cf, top, out=np.zeros_like(cf), where=top > 0)
        prior = self.popularity / self.popularity.max() if self.popularity.max() > 0 else self.popularity
        score = cf + self.popularity_blend * prior
        score[:, self.popularity == 0] = -np.inf  # not on sale / never seen: never recommended
        return customers, score

    def recommend(self, interactions: pd.DataFrame, k: int = 10) -> pd.DataFrame:
        """customer_id, rank (1 = best), product_id, score: k per customer in `interactions`."""
        frames = []
        ids = interactions["customer_id"].unique()
        for lo in range(0, len(ids), _CHUNK):
            chunk = interactions[interactions["customer_id"].isin(ids[lo : lo + _CHUNK])]
            customers, score = self.scores(chunk)
            kk = min(k, int(np.isfinite(score[0]).sum()) if len(score) else 0)
            if kk == 0:
                continue
            top = np.argpartition(-score, kk - 1, axis=1)[:, :kk]
            order = np.argsort(-np.take_along_axis(score, top, axis=1), axis=1, kind="stable")
            best = np.take_along_axis(top, order, axis=1)
            frames.append(
                pd.DataFrame(
                    {
                        "customer_id": np.repeat(customers, kk).astype("int64"),
                        "rank": np.tile(np.arange(1, kk + 1), len(customers)).astype("int64"),
                        "product_id": self.product_ids[best].ravel().astype("int64"),
                        "score": np.take_along_axis(score, best, axis=1).ravel(),
                    }
                )
            )
        columns = {"customer_id": "int64", "rank": "int64", "product_id": "int64", "score": "float64"}
        return (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=list(columns)).astype(columns)
        )


def fit_item_item(
    interactions: pd.DataFrame,
    products: pd.DataFrame,
    *,
    neighbours: int = NEIGHBOURS,
    popularity_blend: float = POPULARITY_BLEND,
) -> ItemItemModel:
    """Cosine similarity of the products' columns of the (customer x product) decayed-weight matrix."""
    product_ids = np.array(sorted(products["product_id"].astype("int64")), dtype="int64")
    column = {int(p): i for i, p in enumerate(product_ids)}
    known = interactions[interactions["product_id"].isin(column)]
    customers, rows = np.unique(known["customer_id"].to_numpy(), return_inverse=True)
    matrix = sparse.csr_matrix(
        (known["weight"].to_numpy(), (rows, known["product_id"].map(column).to_numpy())),
        shape=(len(customers), len(product_ids)),
    )
    columns = normalize(matrix.T.tocsr(), norm="l2")
    similarity = (columns @ columns.T).toarray()
    np.fill_diagonal(similarity, 0.0)
    if neighbours < len(product_ids):
        cut = np.argpartition(-similarity, neighbours - 1, axis=1)[:, neighbours:]
        np.put_along_axis(similarity, cut, 0.0, axis=1)
    weight = np.asarray(matrix.sum(axis=0)).ravel()
    active = set(products.loc[products["is_active"].astype(bool), "product_id"].astype("int64"))
    on_sale = np.array([int(p) in active for p in product_ids])
    popularity = np.where(on_sale, weight / weight.sum() if weight.sum() > 0 else 0.0, 0.0)
    return ItemItemModel(product_ids, sparse.csr_matrix(similarity), popularity, popularity_blend)


def popularity_ranking(model: ItemItemModel, customers: list[int], k: int) -> dict[int, list[int]]:
    top = model.popular(k)
    return {int(c): top for c in customers}


def to_ranking(recommendations: pd.DataFrame) -> dict[int, list[int]]:
    ordered = recommendations.sort_values(["customer_id", "rank"])
    return {int(c): [int(p) for p in g["product_id"]] for c, g in ordered.groupby("customer_id")}


def recall_and_ndcg(ranking: dict[int, list[int]], bought: pd.DataFrame, k: int) -> dict[str, float]:
    """Mean over customers who bought in the window of recall@k (share of their bought products in the top
    k) and NDCG@k (binary relevance); a customer without a ranking counts zero."""
    truth = bought.groupby("customer_id")["product_id"].agg(lambda s: set(int(p) for p in s))
    if truth.empty:
        raise ValueError("no purchases in the evaluation window")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    recalls, ndcgs = [], []
    for customer, products in truth.items():
        picks = ranking.get(int(customer), [])[:k]
        hits = np.array([p in products for p in picks], dtype=float)
        recalls.append(hits.sum() / len(products))
        ideal = discounts[: min(len(products), k)].sum()
        ndcgs.append(float((hits * discounts[: len(hits)]).sum() / ideal))
    return {f"recall_at_{k}": float(np.mean(recalls)), f"ndcg_at_{k}": float(np.mean(ndcgs)),
            "eval_customers": float(len(truth))}  # fmt: skip
