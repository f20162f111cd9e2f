"""The one feature definition training, batch scoring and online serving read.

The churn features are computed in SQL once (dbt macro churn_feature_ctes, macros/features.sql) into the
training mart ml.fm_customer_churn_features (monthly as-of dates, with the label) and the scoring view
ml.fv_customer_churn_current (every current customer, as of the day after the newest landing day). This
module names their columns once (CHURN_FEATURES) and reads them into frames with one normalisation
(`churn_frame`), which the online store (online_store.py) applies to what it reads back too.

    rows = get_features(connection, "customer", ids=[1, 2], as_of=dt.date(2025, 3, 1))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd

from emporium.engine import fetch_all, fetch_frame

TRAINING_MART = "ml.fm_customer_churn_features"
SCORING_VIEW = "ml.fv_customer_churn_current"
INTERACTIONS_MART = "ml.fm_customer_product_interactions"
PRODUCT_MART = "ml.fm_product_features"

CHURN_KEYS = ("customer_id", "as_of_date")
CHURN_NUMERIC = (
    "days_since_last_order",
    "orders_last_30d",
    "orders_last_90d",
    "revenue_last_30d",
    "revenue_last_90d",
    "returns_count",
    "support_tickets_last_90d",
    "sessions_last_30d",
    "sessions_last_90d",
    "days_since_last_session",
    "tenure_days",
)
CHURN_CATEGORICAL = ("loyalty_tier",)
CHURN_FEATURES = (*CHURN_NUMERIC, *CHURN_CATEGORICAL)  # the model's input columns, in this order
CHURN_LABEL = "churned_next_60d"
ENTITIES = ("customer", "customer_product", "product")


def churn_frame(rows: pd.DataFrame, *, label: bool = False) -> pd.DataFrame:
    """Keys and features (and the label) with one set of types, whichever store they came from: ids int64,
    as_of_date a date, numeric features float64 (NaN where missing: no orders or sessions yet), the tier a
    string; sorted by (as_of_date, customer_id)."""
    columns = [*CHURN_KEYS, *CHURN_FEATURES, *([CHURN_LABEL] if label else [])]
    missing = [c for c in columns if c not in rows.columns]
    if missing:
        raise ValueError(f"churn features: columns {missing} missing (have {list(rows.columns)})")
    frame = rows[columns].copy()
    frame["customer_id"] = frame["customer_id"].astype("int64")
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    for column in CHURN_NUMERIC:
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    for column in CHURN_CATEGORICAL:
        frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    if label:
        frame[CHURN_LABEL] = frame[CHURN_LABEL].astype("int64")
    return frame.sort_values(["as_of_date", "customer_id"], ignore_index=True)


def training_rows(connection: Any) -> pd.DataFrame:
    """Every labelled row of the training mart: keys, CHURN_FEATURES, the label (0/1)."""
    rows = fetch_frame(connection, f"select * from {TRAINING_MART} where {CHURN_LABEL} is not null")
    return churn_frame(rows, label=True)


def current_as_of(connection: Any) -> dt.date:
    """The as-of date of the scoring view: the day after the newest landing day."""
    ((as_of,),) = fetch_all(connection, "select max(date_day) + 1 from gold.dim_date")
    if as_of is None:
        raise ValueError("gold.dim_date is empty: no landing day has been built yet")
    return pd.Timestamp(as_of).date()


def get_features(
    connection: Any,
    entity: str,
    ids: Iterable[int] | None = None,
    as_of: dt.date | None = None,
    *,
    half_life_days: float = 30.0,
) -> pd.DataFrame:
    """Features of `entity` for `ids` (all when None) as of `as_of` (None: now, i.e. `current_as_of`).

    - customer: CHURN_KEYS + CHURN_FEATURES; a past as_of must be one of the training mart's as-of dates and
      returns exactly its rows, the current one reads the scoring view (same macro).
    - customer_product: customer_id, product_id, weight (the interactions before as_of, each day's
      interaction_weight halved every `half_life_days` of age), last_event_date.
    - product: the product mart (category, department, brand, unit_price, is_active)."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown feature entity {entity!r}: expected one of {', '.join(ENTITIES)}")
    wanted = None if ids is None else {int(i) for i in ids}
    key = "product_id" if entity == "product" else "customer_id"
    if entity == "customer":
        frame = _customer_features(connection, as_of)
    elif entity == "customer_product":
        frame = _interactions(connection, as_of or current_as_of(connection), half_life_days)
    else:
        frame = fetch_frame(connection, f"select * from {PRODUCT_MART} order by product_id")
        frame["unit_price"] = frame["unit_price"].astype("float64")
    if wanted is not None:
        frame = frame[frame[key].isin(wanted)].reset_index(drop=True)
    return frame


def _customer_features(connection: Any, as_of: dt.date | None) -> pd.DataFrame:
    current = current_as_of(connection)
    if as_of is None or as_of == current:
        return churn_frame(fetch_frame(connection, f"select * from {SCORING_VIEW}"))
    rows = fetch_frame(connection, f"select * from {TRAINING_MART} where as_of_date = %s", (as_of,))
    if rows.empty:
        dates = [
            str(d)
            for (d,) in fetch_all(connection, f"select distinct as_of_date from {TRAINING_MART} order by 1")
        ]
        raise ValueError(
            f"no churn features as of {as_of}: the training mart holds {', '.join(dates) or 'no dates'}"
            f" and the scoring view {current}"
        )
    return churn_frame(rows)


def _interactions(connection: Any, as_of: dt.date, half_life_days: float) -> pd.DataFrame:
    rows = fetch_frame(
        connection,
        f"select customer_id, product_id, event_date, interaction_weight from {INTERACTIONS_MART}"
        " where event_date < %s",
        (as_of,),
    )
    if rows.empty:
        return pd.DataFrame({"customer_id": [], "product_id": [], "weight": [], "last_event_date": []})
    age = (pd.Timestamp(as_of) - pd.to_datetime(rows["event_date"])).dt.days.astype("float64")
    rows["weight"] = rows["interaction_weight"].astype("float64") * 0.5 ** (age / half_life_days)
    grouped = rows.groupby(["customer_id", "product_id"], as_index=False).agg(
        weight=("weight", "sum"), last_event_date=("event_date", "max")
    )
    grouped["customer_id"] = grouped["customer_id"].astype("int64")
    grouped["product_id"] = grouped["product_id"].astype("int64")
    return grouped.sort_values(["customer_id", "product_id"], ignore_index=True)


def purchases_between(connection: Any, start: dt.date, end: dt.date) -> pd.DataFrame:
    """(customer_id, product_id) of every product bought in orders placed in [start, end): the
    recommender's evaluation target (gold.fct_order_items)."""
    return fetch_frame(
        connection,
        "select distinct customer_id, product_id from gold.fct_order_items"
        " where ordered_at >= %s and ordered_at < %s and customer_id is not null",
        (start, end),
    )
