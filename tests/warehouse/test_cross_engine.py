"""The same landing zone gives the same warehouse on DuckDB and on Postgres (loaded by `emporium load`)."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emporium.config import PROJECT_ROOT, Settings
from emporium.engine import connect, fetch_all, list_tables
from generator.entities import ENTITIES
from ingest.raw_load import LoadError, duckdb_varchar, load_landing
from quality.accounting import duckdb_source_relations
from tests.support import postgres_settings

LOAD_TIME_COLUMNS = {"_loaded_at"}  # when a row was built, not what it says


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, decimal.Decimal):
        return value.normalize() if value else decimal.Decimal(0)
    return value


def raw_differences(landing_dir: Path, pg_settings: Settings, entity: str) -> tuple[int, int, Counter[Any]]:
    """(DuckDB source rows, Postgres raw rows, rows only on one side) for one entity."""
    with duckdb.connect() as duck:
        relation = duck.sql(f"select * from {duckdb_source_relations(PROJECT_ROOT, landing_dir)[entity]}")
        columns = relation.columns
        duck_rows = Counter(map(tuple, relation.fetchall()))
    with connect(pg_settings) as pg:
        select = ", ".join(f'"{c}"' for c in columns)
        pg_rows = Counter(fetch_all(pg, f"select {select} from raw.{entity}"))
    return sum(duck_rows.values()), sum(pg_rows.values()), (duck_rows - pg_rows) + (pg_rows - duck_rows)


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
def test_raw_equals_the_duckdb_source(tiny_landing: Settings, postgres_warehouse: Settings) -> None:
    for entity in ENTITIES:
        duck_count, pg_count, differing = raw_differences(
            tiny_landing.landing_dir, postgres_warehouse, entity.name
        )
        assert duck_count == pg_count and not differing, (
            entity.name,
            duck_count,
            pg_count,
            list(differing)[:3],
        )


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
    for table in tables:
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


# --- the loader on hand-made edge cases, in a database of its own ---------------------------------------


@pytest.fixture(scope="session")
def edge_database(postgres_server: dict[str, str]) -> dict[str, str]:
    import psycopg2

    params = {"host": postgres_server["EMPORIUM_PG_HOST"], "port": int(postgres_server["EMPORIUM_PG_PORT"]),
              "user": postgres_server["EMPORIUM_PG_USER"], "dbname": "postgres"}  # fmt: skip
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("create database emporium_edge")
    connection.close()
    return {**postgres_server, "EMPORIUM_PG_DATABASE": "emporium_edge"}


EDGE_ORDERS = (
    "order_id,customer_id,order_status,channel_code,campaign_id,currency_code,shipping_country_code,ordered_at,updated_at\n"
    '1,2,placed,web,,EUR," DE",2025-01-01 10:00:00,2025-01-01 10:00:00\n'
    '2,"",paid,"multi\nline, with comma",3,EUR,DE,not a date,"quote "" inside"\n'
    '"3",,,,,,,,\n'
)
EDGE_EVENTS = '{"event_id":"evt-1","page_path":"/a\\\\b\\tc"}\n\n{"event_id": broken\n{"x":"\\u00e9"}\n\n'


def _write_edge_landing(root: Path) -> None:
    day1, day2 = "date=2025-01-01", "date=2025-01-02"
    for day, text in ((day1, EDGE_ORDERS), (day2, EDGE_ORDERS.splitlines()[0] + "\n")):
        path = root / "orders" / day / f"orders_{day[5:]}.csv"
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
    for day, text in ((day1, EDGE_EVENTS), (day2, "")):
        path = root / "web_events" / day / f"web_events_{day[5:]}.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
    customers = next(e for e in ENTITIES if e.name == "customers")
    values: dict[str, pa.Array] = {c: pa.array(["", None], pa.string()) for c in customers.columns}
    values["customer_id"] = pa.array([7, None], pa.int64())
    values["marketing_opt_in"] = pa.array([True, None])
    stamps = [dt.datetime(2025, 1, 1, 9, 30, 0, 120000), dt.datetime(2025, 1, 1)]
    values["signed_up_at"] = values["updated_at"] = pa.array(stamps, pa.timestamp("us"))
    path = root / "customers" / day1 / "customers_2025-01-01.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table(values), path)


@pytest.mark.postgres
def test_loader_matches_duckdb_on_edge_cases(tmp_path: Path, edge_database: dict[str, str]) -> None:
    landing = tmp_path / "landing"
    _write_edge_landing(landing)
    settings = postgres_settings(tmp_path, landing, edge_database)
    counts = load_landing(settings, settings.postgres.connection_params())
    assert (counts["orders"], counts["web_events"], counts["customers"]) == (3, 4, 2)
    for entity in ("orders", "web_events", "customers"):
        duck_count, pg_count, differing = raw_differences(landing, settings, entity)
        assert duck_count == pg_count and not differing, (entity, duck_count, pg_count, list(differing)[:3])

    # idempotent: a full reload and a reload of the last day change nothing
    assert load_landing(settings, settings.postgres.connection_params()) == counts
    assert (
        load_landing(settings, settings.postgres.connection_params(), since=dt.date(2025, 1, 2))["orders"]
        == 0
    )
    assert raw_differences(landing, settings, "orders")[1] == 3

    # a broken file: a clear error naming it, and the load rolled back
    bad = landing / "orders" / "date=2025-01-02" / "orders_2025-01-02.csv"
    bad.write_text(EDGE_ORDERS.splitlines()[0] + "\n1,2,3\n", encoding="utf-8")
    with pytest.raises(LoadError, match=re.escape(str(bad))):
        load_landing(settings, settings.postgres.connection_params())
    with connect(settings) as connection:
        assert fetch_all(connection, "select count(*) from raw.orders") == [(3,)]


def test_parquet_text_is_duckdb_varchar() -> None:
    day = dt.datetime(2025, 1, 1)
    stamps = [day, day.replace(microsecond=500000), dt.datetime(2025, 12, 31, 23, 59, 59, 123456),
              day.replace(microsecond=120000), None]  # fmt: skip
    money = ["1.00", "-0.50", "0.05", "-1234567890123456.78", None]
    table = pa.table({
        "ts": pa.array(stamps, pa.timestamp("us")),
        "money": pa.array([decimal.Decimal(m) if m else None for m in money], pa.decimal128(18, 2)),
        "flag": pa.array([True, False, None, True, False]),
        "id": pa.array([1, -2, 0, None, 9223372036854775807], pa.int64()),
        "text": pa.array(["", None, "a,b", 'q"uote', "multi\nline"]),
        "day": pa.array([dt.date(2025, 1, 1), None, dt.date(1999, 12, 31), dt.date(2024, 2, 29), dt.date(1, 1, 1)]),
    })  # fmt: skip
    with duckdb.connect() as duck:
        duck.register("edge", table)
        expected = duck.sql("select columns(*)::varchar from edge").fetchall()
    rendered = pa.table(
        {name: duckdb_varchar(table.column(name).combine_chunks()) for name in table.column_names}
    )
    assert [tuple(row.values()) for row in rendered.to_pylist()] == expected
