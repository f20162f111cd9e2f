"""Schema `raw` (one text table per entity) and `raw_truth`, the same shape on every engine.

raw.<entity>: the contract's columns in contract order (web_events: `raw_line`, one JSON line), then
`_source_file` (path relative to the landing root) and `date` (the landing day, YYYY-MM-DD), all text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from emporium.contract import Entity
from emporium.engine import engine_of, ident

RAW_SCHEMA = "raw"
TRUTH_SCHEMA = "raw_truth"
META_COLUMNS = ("_source_file", "date")
JSON_LINE_COLUMN = "raw_line"


class LoadError(RuntimeError):
    """The load could not run (no landing zone, a table of another shape, ...); names what and why."""


def query(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """emporium.engine.fetch_all on the connection itself (Engine.query): a DuckDB cursor() is a second
    connection, whose statements would escape the load's transaction."""
    return engine_of(connection).query(connection, sql, params)


def raw_columns(entity: Entity) -> list[str]:
    """The columns of raw.<entity>, in order."""
    data = [JSON_LINE_COLUMN] if entity.fmt == "jsonl" else list(entity.columns)
    return [*data, *META_COLUMNS]


def data_columns(entity: Entity) -> list[str]:
    return raw_columns(entity)[: -len(META_COLUMNS)]


def existing_columns(connection: Any, schema: str, table: str) -> list[str]:
    return engine_of(connection).columns(connection, schema, table)


def prepare_table(
    connection: Any,
    schema: str,
    table: str,
    columns: list[str],
    *,
    replace: bool,
    partition: str | None = None,
) -> None:
    """Make `schema.table` exist with exactly these text columns; `replace` empties it (a full reload);
    `partition`: the column whose slices loads replace (`delete_days`)."""
    query(connection, f"create schema if not exists {schema}")
    existing = existing_columns(connection, schema, table)
    if existing == columns:
        if replace:
            query(connection, f"truncate table {schema}.{ident(table)}")  # transactional on both engines
        return
    if existing and not replace:
        raise LoadError(f"{schema}.{table} has columns {existing}, the contract {columns}: reload every day")
    query(connection, f"drop table if exists {schema}.{ident(table)}")
    engine_of(connection).create_text_table(connection, f"{schema}.{ident(table)}", columns)


def delete_days(connection: Any, table: str, days: Collection[dt.date]) -> None:
    days_text = {day.isoformat() for day in days}
    engine_of(connection).delete_partitions(connection, f"{RAW_SCHEMA}.{ident(table)}", "date", days_text)
