"""DB-API connections to the warehouse, whichever engine the settings point at."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from emporium.config import Settings


@contextmanager
def connect(settings: Settings, *, read_only: bool = True) -> Iterator[Any]:
    if settings.dbt_target == "duckdb":
        import duckdb

        connection = duckdb.connect(str(settings.warehouse_path), read_only=read_only)
    elif settings.dbt_target == "postgres":
        import psycopg2

        connection = psycopg2.connect(**settings.postgres.connection_params())
    else:
        raise ValueError(f"unknown DBT_TARGET {settings.dbt_target!r}: expected 'duckdb' or 'postgres'")
    try:
        yield connection
    finally:
        connection.close()


def fetch_all(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql`; write parameters as %s whatever the engine."""
    if not _is_postgres(connection):
        sql = sql.replace("%s", "?")
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params or None)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def list_tables(connection: Any, schema: str) -> list[str]:
    rows = fetch_all(
        connection,
        "select table_name from information_schema.tables where table_schema = %s order by table_name",
        (schema,),
    )
    return [name for (name,) in rows]


def _is_postgres(connection: Any) -> bool:
    return type(connection).__module__.startswith("psycopg2")
