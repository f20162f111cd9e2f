"""The prediction API's log in the warehouse: ml.prediction_log (a copy of the service's append-only SQLite
log, loaded incrementally by id) and ml.prediction_version_report (the versions compared on live traffic).
Run by Dagster (orchestration/monitoring.py), never by the service, which does not open the warehouse."""

from __future__ import annotations

from typing import Any

import pandas as pd

from emporium.config import Settings
from emporium.engine import engine_for
from serving.prediction_log import COLUMNS, read_after

LOG_TABLE = "ml.prediction_log"
REPORT_TABLE = "ml.prediction_version_report"
LOG_TYPES = {"log_id": "bigint", "logged_at": "timestamp", "request_id": "varchar", "endpoint": "varchar",
             "customer_id": "bigint", "model_name": "varchar", "model_version": "varchar", "role": "varchar",
             "score": "double precision", "latency_ms": "double precision"}  # fmt: skip
REPORT_TYPES = {"model_name": "varchar", "model_version": "varchar", "role": "varchar", "predictions": "bigint",
                "customers": "bigint", "mean_score": "double precision", "latency_ms_p50": "double precision",
                "latency_ms_p99": "double precision", "shadowed_requests": "bigint",
                "mean_abs_gap_to_served": "double precision", "first_at": "timestamp",
                "last_at": "timestamp"}  # fmt: skip
CHUNK = 200


def _insert(
    engine: Any, connection: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    marks = "(" + ", ".join("%s" for _ in columns) + ")"
    for start in range(0, len(rows), CHUNK):  # multi-row inserts, CHUNK rows a statement
        batch = rows[start : start + CHUNK]
        values = [value for row in batch for value in row]
        sql = f"insert into {table} ({', '.join(columns)}) values {', '.join([marks] * len(batch))}"
        engine.query(connection, sql, values)


def _create(engine: Any, connection: Any, table: str, types: dict[str, str]) -> None:
    engine.query(connection, "create schema if not exists ml")
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    engine.query(connection, f"create table if not exists {table} ({columns})")


def load_prediction_log(settings: Settings) -> tuple[int, int]:
    """Append the log rows not yet in ml.prediction_log; returns (rows added, rows in the table)."""
    engine = engine_for(settings)
    with engine.connect(read_only=False) as connection:
        engine.begin(connection)
        _create(engine, connection, LOG_TABLE, LOG_TYPES)
        ((last,),) = engine.query(connection, f"select coalesce(max(log_id), 0) from {LOG_TABLE}")
        rows = read_after(settings.serving.prediction_log_path, int(last))
        _insert(engine, connection, LOG_TABLE, list(LOG_TYPES), rows)
        ((total,),) = engine.query(connection, f"select count(*) from {LOG_TABLE}")
    return len(rows), int(total)


def version_report(log: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, version, role) of the log: volume, scores, latency, and for the challenger's
    shadow scores the mean absolute gap to the score the same request was answered with."""
    if log.empty:
        return pd.DataFrame(columns=list(REPORT_TYPES))
    served = log[log["role"] != "shadow"].set_index("request_id")["score"]
    log = log.assign(served_score=log["request_id"].map(served))
    log["gap"] = (log["score"] - log["served_score"]).abs().where(log["role"] == "shadow")
    grouped = log.groupby(["model_name", "model_version", "role"], dropna=False)
    report = grouped.agg(
        predictions=("score", "size"),
        customers=("customer_id", "nunique"),
        mean_score=("score", "mean"),
        latency_ms_p50=("latency_ms", lambda s: s.quantile(0.5)),
        latency_ms_p99=("latency_ms", lambda s: s.quantile(0.99)),
        shadowed_requests=("gap", "count"),
        mean_abs_gap_to_served=("gap", "mean"),
        first_at=("logged_at", "min"),
        last_at=("logged_at", "max"),
    ).reset_index()
    return report[list(REPORT_TYPES)]


def _plain(value: Any) -> Any:
    """A value the database drivers bind: None for NaN/NaT, Python scalars for numpy and pandas ones."""
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def write_version_report(settings: Settings) -> pd.DataFrame:
    """Rebuild ml.prediction_version_report from ml.prediction_log; returns the report."""
    engine = engine_for(settings)
    with engine.connect(read_only=False) as connection:
        engine.begin(connection)
        _create(engine, connection, LOG_TABLE, LOG_TYPES)
        names = [c for c in COLUMNS if c != "endpoint"]
        rows = engine.query(connection, f"select {', '.join(names)} from {LOG_TABLE}")
        report = version_report(pd.DataFrame(rows, columns=names))
        _create(engine, connection, REPORT_TABLE, REPORT_TYPES)
        engine.query(connection, f"delete from {REPORT_TABLE}")
        values = [tuple(map(_plain, row)) for row in report.itertuples(index=False)]
        _insert(engine, connection, REPORT_TABLE, list(REPORT_TYPES), values)
    return report
