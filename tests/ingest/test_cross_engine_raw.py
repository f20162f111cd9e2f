"""DuckDB and Postgres load the same raw rows from the same landing zone, reject the same files and accept
the same benign variants: one set of definitions for both engines downstream."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from emporium.config import Settings
from emporium.contract import BY_NAME, ENTITIES
from emporium.engine import connect, fetch_all
from ingest.postgres_writer import duckdb_varchar
from ingest.raw_load import LoadReport, load_raw, load_truth
from ingest.raw_tables import raw_columns
from tests.bad_input.catalogue import FILE_CASES, make_benign_variants
from tests.ingest.build import copy_landing, load
from tests.support import postgres_settings, settings_for

_databases = itertools.count()


@pytest.fixture(scope="module")
def new_database(postgres_server: dict[str, str]) -> Callable[[], dict[str, str]]:
    """Makes an empty database on the throwaway server; returns its EMPORIUM_PG_* variables."""
    import psycopg2

    def make() -> dict[str, str]:
        name = f"emporium_raw_{next(_databases)}"
        params = {"host": postgres_server["EMPORIUM_PG_HOST"], "port": int(postgres_server["EMPORIUM_PG_PORT"]),
                  "user": postgres_server["EMPORIUM_PG_USER"], "dbname": "postgres"}  # fmt: skip
        connection = psycopg2.connect(**params)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"create database {name}")
        connection.close()
        return {**postgres_server, "EMPORIUM_PG_DATABASE": name}

    return make


def raw_table(settings: Settings, entity: str) -> Counter[tuple[Any, ...]]:
    select = ", ".join(f'"{c}"' for c in raw_columns(BY_NAME[entity]))
    with connect(settings) as connection:
        return Counter(fetch_all(connection, f"select {select} from raw.{entity}"))


def truth_table(settings: Settings, table: str) -> Counter[tuple[Any, ...]]:
    with connect(settings) as connection:
        return Counter(fetch_all(connection, f"select * from raw_truth.{table}"))


def rejections(settings: Settings) -> list[tuple[Any, ...]]:
    with connect(settings) as connection:
        rows = fetch_all(
            connection,
            "select entity, cast(landing_day as varchar), file, line, problem, file_sha256, resolved_at is null"
            " from quality.rejected_files order by file, problem",
        )
    return [tuple(row) for row in rows]


def both_engines(
    landing: Path, data_dir: Path, pg_env: dict[str, str], days: list[dt.date] | None = None
) -> tuple[Settings, Settings, LoadReport, LoadReport]:
    duck = settings_for(data_dir / "duck", EMPORIUM_LANDING_DIR=str(landing))
    pg = postgres_settings(data_dir / "pg", landing, pg_env)
    return duck, pg, load_raw(duck, days, run_id="same"), load_raw(pg, days, run_id="same")


def assert_same_raw(duck: Settings, pg: Settings, entities: list[str]) -> None:
    for entity in entities:
        duck_rows, pg_rows = raw_table(duck, entity), raw_table(pg, entity)
        assert duck_rows == pg_rows, (
            entity,
            list((duck_rows - pg_rows).items())[:2],
            list((pg_rows - duck_rows).items())[:2],
        )


@pytest.mark.postgres
def test_both_engines_load_reject_and_warn_alike(
    tiny_landing: Settings, tmp_path: Path, new_database: Callable[[], dict[str, str]]
) -> None:
    """The tiny world with a broken file of each kind the CSV, JSON-lines and Parquet readers meet, and every
    benign variant: the same rows, the same rejections, the same warnings on both engines."""
    landing = copy_landing(tiny_landing.landing_dir, tmp_path / "zone").landing_dir
    for case in FILE_CASES:
        if case.name in ("truncated csv", "damaged parquet", "extra unknown column"):
            case.mutate(landing)
    make_benign_variants(landing)
    duck, pg, duck_report, pg_report = both_engines(landing, tmp_path, new_database())
    assert duck_report.rows == pg_report.rows and sum(duck_report.rows.values()) > 0
    assert duck_report.files == pg_report.files
    assert len(duck_report.rejected) == 3 and duck_report.rejected == pg_report.rejected
    assert len(duck_report.warnings) >= 5 and duck_report.warnings == pg_report.warnings
    assert_same_raw(duck, pg, [entity.name for entity in ENTITIES])
    assert rejections(duck) == rejections(pg)
    # the planted truth too (Engine.load_csv: read_csv on DuckDB, COPY on Postgres)
    truth = load_truth(duck)
    assert truth and load_truth(pg) == truth
    for table in truth:
        assert truth_table(duck, table) == truth_table(pg, table), table


# --- hand-made edge cases ----------------------------------------------------------------------------------

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
    customers = BY_NAME["customers"]
    values: dict[str, pa.Array] = {c: pa.array(["", None], pa.string()) for c in customers.columns}
    values["customer_id"] = pa.array([7, None], pa.int64())
    values["marketing_opt_in"] = pa.array([True, None])
    stamps = [dt.datetime(2025, 1, 1, 9, 30, 0, 120000), dt.datetime(2025, 1, 1)]
    values["signed_up_at"] = values["updated_at"] = pa.array(stamps, pa.timestamp("us"))
    path = root / "customers" / day1 / "customers_2025-01-01.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table(values), path)


@pytest.mark.postgres
def test_edge_cases_load_alike_and_idempotently(
    tmp_path: Path, new_database: Callable[[], dict[str, str]]
) -> None:
    landing = tmp_path / "landing"
    _write_edge_landing(landing)
    duck, pg, duck_report, pg_report = both_engines(landing, tmp_path, new_database())
    counts = {e: duck_report.rows[e] for e in ("orders", "web_events", "customers")}
    assert counts == {"orders": 3, "web_events": 4, "customers": 2}
    assert pg_report.rows == duck_report.rows
    assert duck_report.rejected == pg_report.rejected == [], "a quiet day's empty JSON-lines file is valid"
    assert_same_raw(duck, pg, ["orders", "web_events", "customers"])

    # idempotent: a full reload and a reload of the last day change nothing
    for settings in (duck, pg):
        assert load_raw(settings, None, run_id="again").rows == duck_report.rows
        assert load_raw(settings, [dt.date(2025, 1, 2)], run_id="day").rows["orders"] == 0
        assert sum(raw_table(settings, "orders").values()) == 3

    # a broken file is left out on both engines, the other day's rows stay
    bad = landing / "orders" / "date=2025-01-02" / "orders_2025-01-02.csv"
    bad.write_text(EDGE_ORDERS.splitlines()[0] + "\n1,2,3\n", encoding="utf-8")
    for settings in (duck, pg):
        report = load_raw(settings, None, run_id="broken")
        assert [(i.file, i.line) for i in report.rejected] == [
            ("orders/date=2025-01-02/orders_2025-01-02.csv", 2)
        ]
        assert sum(raw_table(settings, "orders").values()) == 3
    assert_same_raw(duck, pg, ["orders"])


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


def test_report_renders_loudly(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _write_edge_landing(landing)
    (landing / "orders" / "date=2025-01-02" / "orders_2025-01-02.csv").write_text(
        "nonsense;header\n", encoding="utf-8"
    )
    report = load(settings_for(tmp_path, EMPORIUM_LANDING_DIR=str(landing)), "render")
    text = report.render()
    assert "REJECTED 1 problem(s)" in text and "orders/date=2025-01-02/orders_2025-01-02.csv" in text
    assert "wrong delimiter" in text
    assert report.rows["orders"] == 3 and report.files["orders"] == 1
