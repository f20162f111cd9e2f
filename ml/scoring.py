"""Batch scoring: the champions score every current customer into the warehouse (ml.churn_predictions,
ml.recommendations) and the online store (online_store.py); the registry's versions beside them
(ml.model_versions).

    scores = score_current(settings, connection)   # None when a model has no champion yet
    write_predictions(settings, connection, frames) # replaces the tables, one transaction
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from emporium.config import Settings
from emporium.engine import engine_for, fetch_all
from ml import registry
from ml.features import CHURN_FEATURES, TRAINING_MART, current_as_of, get_features
from ml.online_store import OnlineSnapshot

POPULAR_ITEMS = 50  # the cold-start list kept in the online store

# the tables batch scoring owns: name -> (column, SQL type), in file order
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "ml.churn_predictions": (
        ("customer_id", "bigint"),
        ("as_of_date", "date"),
        ("churn_probability", "double precision"),
        ("model_name", "varchar"),
        ("model_version", "varchar"),
        ("scored_at", "timestamp"),
    ),
    "ml.recommendations": (
        ("customer_id", "bigint"),
        ("rank", "integer"),
        ("product_id", "bigint"),
        ("score", "double precision"),
        ("source", "varchar"),
        ("model_name", "varchar"),
        ("model_version", "varchar"),
        ("as_of_date", "date"),
        ("scored_at", "timestamp"),
    ),
    # the registry as of the scoring (registry.version_records), for BI: champion against challenger
    "ml.model_versions": (
        ("model_name", "varchar"),
        ("model_version", "varchar"),
        ("registered_at", "timestamp"),
        ("alias", "varchar"),
        ("approval_status", "varchar"),
        ("approval_reason", "varchar"),
        ("approval_by", "varchar"),
        ("replaced_by", "varchar"),
        ("roc_auc", "double precision"),
        ("calibration_error", "double precision"),
        ("recall_lift_over_popularity", "double precision"),
        ("recall_at_k", "double precision"),
        ("run_id", "varchar"),
    ),
}


@dataclass(frozen=True)
class Scores:
    churn: pd.DataFrame  # TABLES["ml.churn_predictions"] columns
    recommendations: pd.DataFrame  # TABLES["ml.recommendations"] columns
    snapshot: OnlineSnapshot


def has_champions(settings: Settings) -> bool:
    """Whether both models have a champion (none in a store that was never written)."""
    if registry.never_written(settings):
        return False
    names = (settings.ml.churn_model, settings.ml.recommender_model)
    return all(registry.alias_versions(settings, name)[registry.CHAMPION] is not None for name in names)


def base_churn_rate(connection: Any) -> float:
    """The label rate of the newest labelled as-of date: the churn probability to answer without a model."""
    ((rate,),) = fetch_all(
        connection,
        f"select avg(case when churned_next_60d then 1.0 else 0.0 end) from {TRAINING_MART}"
        f" where as_of_date = (select max(as_of_date) from {TRAINING_MART} where churned_next_60d is not null)",
    )
    return float(rate) if rate is not None else float("nan")


def score_current(settings: Settings, connection: Any) -> Scores | None:
    """Scores of every current customer by both champions; None when either has no champion."""
    from ml.training import recommend_all

    if not has_champions(settings):
        return None
    ml = settings.ml
    versions = {
        name: registry.alias_versions(settings, name)[registry.CHAMPION]
        for name in (ml.churn_model, ml.recommender_model)
    }
    scored_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    as_of = current_as_of(connection)
    features = get_features(connection, "customer", as_of=as_of)
    churn_model = registry.load_model(settings, ml.churn_model, flavor="sklearn")
    with threadpool_limits(limits=1, user_api="openmp"):  # see ml/churn.py
        probability = (
            churn_model.predict_proba(features[list(CHURN_FEATURES)])[:, 1] if len(features) else np.array([])
        )
    churn = pd.DataFrame(
        {
            "customer_id": features["customer_id"],
            "as_of_date": as_of,
            "churn_probability": probability,
            "model_name": ml.churn_model,
            "model_version": versions[ml.churn_model],
            "scored_at": scored_at,
        }
    )
    recommender = registry.load_model(settings, ml.recommender_model).unwrap_python_model().model
    interactions = get_features(
        connection, "customer_product", as_of=as_of, half_life_days=ml.interaction_half_life_days
    )
    ranked = recommend_all(recommender, interactions, features["customer_id"].tolist(), ml.recommendation_k)
    recommendations = ranked.assign(
        model_name=ml.recommender_model,
        model_version=versions[ml.recommender_model],
        as_of_date=as_of,
        scored_at=scored_at,
    )
    popular = recommender.popular(POPULAR_ITEMS)
    snapshot = OnlineSnapshot(
        features=features,
        recommendations=ranked[["customer_id", "rank", "product_id", "score", "source"]],
        popular=pd.DataFrame({"rank": np.arange(1, len(popular) + 1), "product_id": popular}),
        base_churn_rate=base_churn_rate(connection),
        models={name: str(version) for name, version in versions.items()},
    )
    return Scores(churn, recommendations[[c for c, _ in TABLES["ml.recommendations"]]], snapshot)


def empty_scores() -> dict[str, pd.DataFrame]:
    return {table: pd.DataFrame(columns=[c for c, _ in columns]) for table, columns in TABLES.items()}


def write_predictions(settings: Settings, connection: Any, frames: dict[str, pd.DataFrame]) -> None:
    """Replace each table of TABLES with its frame, in one transaction on `connection` (a writable one)."""
    engine = engine_for(settings)
    engine.begin(connection)
    engine.query(connection, "create schema if not exists ml")
    for table, columns in TABLES.items():
        names = [c for c, _ in columns]
        engine.query(connection, f"drop table if exists {table}")
        definition = ", ".join(f"{c} {engine.column_type(t)}" for c, t in columns)
        engine.query(connection, f"create table {table} ({definition}){engine.table_options}")
        frame = frames[table][names]
        if not frame.empty:
            engine.load_frame(connection, table, frame)
    connection.commit()  # readers through a cursor (a second connection on DuckDB) see the new tables
