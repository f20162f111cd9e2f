"""The online store: a small SQLite file batch scoring writes and the serving layer reads, never the
warehouse itself (DuckDB has one writer).

Tables: customer_features (CHURN_KEYS + CHURN_FEATURES of every current customer, from the scoring view),
recommendations (customer_id, rank, product_id, score), popular_items (rank, product_id, score: the cold
start), meta (key, value: features_as_of, base_churn_rate, the model versions, written_at). The writer
builds a temporary file beside the target and renames it over the old one (`os.replace`), so a reader sees
the old store or the new one, never half of one. The reader hands features back through
`features.churn_frame`, the normalisation training uses: no second feature definition.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ml.features import CHURN_FEATURES, CHURN_KEYS, churn_frame


@dataclass(frozen=True)
class OnlineSnapshot:
    """What one scoring run puts in the online store."""

    features: pd.DataFrame  # churn_frame of the current customers
    recommendations: pd.DataFrame  # customer_id, rank, product_id, score
    popular: pd.DataFrame  # rank, product_id, score
    base_churn_rate: float  # label rate of the newest labelled as-of date: the answer without a model
    models: dict[str, str]  # registered model name -> version used


def write_online_store(path: Path, snapshot: OnlineSnapshot) -> None:
    """Write `snapshot` to a temporary file beside `path` and atomically rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary)
        try:
            features = snapshot.features.copy()
            features["as_of_date"] = features["as_of_date"].map(lambda d: d.isoformat())
            features.to_sql("customer_features", connection, index=False)
            snapshot.recommendations.to_sql("recommendations", connection, index=False)
            snapshot.popular.to_sql("popular_items", connection, index=False)
            as_of = features["as_of_date"].max() if len(features) else None
            meta = {
                "features_as_of": as_of,
                "base_churn_rate": snapshot.base_churn_rate,
                "models": snapshot.models,
                "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            connection.execute("create table meta (key text primary key, value text not null)")
            connection.executemany(
                "insert into meta values (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
            )
            connection.execute("create unique index customer_features_key on customer_features (customer_id)")
            connection.execute("create index recommendations_customer on recommendations (customer_id, rank)")
            connection.commit()
        finally:
            connection.close()
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def purge_customer(path: Path, customer_id: int) -> None:
    """Delete one customer's rows (features, recommendations) from the store, if there is one; the next
    scoring run leaves them out too (the scoring view drops erased customers)."""
    if not path.exists():
        return
    connection = sqlite3.connect(path)
    try:
        for table in ("customer_features", "recommendations"):
            connection.execute(f"delete from {table} where customer_id = ?", (int(customer_id),))
        connection.commit()
    finally:
        connection.close()


class OnlineStore:
    """Read side of the online store (opened read-only per call: a rename by the writer is picked up)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no online store yet (batch scoring writes it)")
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return pd.read_sql_query(sql, connection, params=params)
        finally:
            connection.close()

    def features(self, customer_ids: list[int] | None = None) -> pd.DataFrame:
        """CHURN_KEYS + CHURN_FEATURES of these customers (all when None), typed as training reads them;
        customers not in the store are absent."""
        columns = ", ".join([*CHURN_KEYS, *CHURN_FEATURES])
        if customer_ids is None:
            rows = self._query(f"select {columns} from customer_features")
        else:
            marks = ", ".join("?" for _ in customer_ids)
            rows = self._query(
                f"select {columns} from customer_features where customer_id in ({marks})",
                tuple(int(c) for c in customer_ids),
            )
        return churn_frame(rows)

    def recommendations(self, customer_id: int, k: int = 10) -> list[int]:
        """The customer's product_ids, best first (empty: unknown customer, use `popular`)."""
        rows = self._query(
            "select product_id from recommendations where customer_id = ? order by rank limit ?",
            (int(customer_id), int(k)),
        )
        return [int(p) for p in rows["product_id"]]

    def popular(self, k: int = 10) -> list[int]:
        rows = self._query("select product_id from popular_items order by rank limit ?", (int(k),))
        return [int(p) for p in rows["product_id"]]

    def meta(self) -> dict[str, Any]:
        rows = self._query("select key, value from meta")
        return {key: json.loads(value) for key, value in zip(rows["key"], rows["value"], strict=True)}
