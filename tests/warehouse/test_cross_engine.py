"""The same landing zone gives the same gold on DuckDB and on Postgres (for the same raw rows, see
tests/ingest/test_cross_engine_raw.py)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from typing import Any

import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all, list_tables
from tests.support import LOAD_TIME_COLUMNS, RUN_RECORD_TABLES


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        return value.normalize() if value else decimal.Decimal(0)
    return value


def table_rows(settings: Settings, schema: str, table: str) -> Counter[tuple[Any, ...]]:
    """The table's rows (load-time columns left out), normalised so both engines' values compare."""
    with connect(settings) as connection:
        cursor = connection.cursor()
        cursor.execute(f"select * from {schema}.{table}")
        keep = [i for i, column in enumerate(cursor.description) if column[0] not in LOAD_TIME_COLUMNS]
        rows = Counter(tuple(_normal(row[i]) for i in keep) for row in cursor.fetchall())
        cursor.close()
    return rows


def gold_tables(settings: Settings) -> list[str]:
    with connect(settings) as connection:
        return list_tables(connection, "gold")


def daily_revenue(settings: Settings) -> dict[dt.date, tuple[Any, ...]]:
    with connect(settings) as connection:
        rows = fetch_all(connection, (
            "select revenue_date, orders, items, round(gross_revenue, 2), round(discount_amount, 2),"
            " round(net_revenue, 2), round(refund_amount, 2) from gold.mart_daily_revenue order by 1"
        ))  # fmt: skip
    return {row[0]: tuple(_normal(v) for v in row[1:]) for row in rows}


@pytest.mark.postgres
@pytest.mark.slow
def test_gold_is_the_same_on_both_engines(tiny_warehouse: Settings, postgres_warehouse: Settings) -> None:
    tables = gold_tables(tiny_warehouse)
    assert tables and gold_tables(postgres_warehouse) == tables
    counts = {t: (table_rows(tiny_warehouse, "gold", t).total(), table_rows(postgres_warehouse, "gold", t).total())
              for t in tables}  # fmt: skip
    print("gold rows (duckdb, postgres):", counts)
    duck_revenue, pg_revenue = daily_revenue(tiny_warehouse), daily_revenue(postgres_warehouse)
    assert pg_revenue == duck_revenue, {
        d: (v, pg_revenue.get(d)) for d, v in duck_revenue.items() if pg_revenue.get(d) != v
    }
    # the marts over the runs' own records (gate results, rejections) differ by run, not by engine
    for table in [t for t in tables if f"gold.{t}" not in RUN_RECORD_TABLES]:
        duck_rows, pg_rows = (
            table_rows(tiny_warehouse, "gold", table),
            table_rows(postgres_warehouse, "gold", table),
        )
        assert sum(duck_rows.values()) == sum(pg_rows.values()), table
        assert duck_rows == pg_rows, (
            table,
            list((duck_rows - pg_rows).items())[:2],
            list((pg_rows - duck_rows).items())[:2],
        )
