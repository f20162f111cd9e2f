"""The same project on Apache Spark (docs/scaling.md): a standalone cluster started by scripts/spark-cluster.sh,
the tiny world built there by the Dagster code location with DBT_TARGET=spark (raw load, dbt layers with their
tests as checks, the Great Expectations gates on GX's Spark datasource), its gates passed and its row accounting
balanced, every gold table equal to DuckDB's (row counts, a checksum, money to the cent) and to the truth; then
the purge of one customer on the Parquet tables.

The Spark side runs in its own environment (.venv-spark, `make install-spark`); this process only reads the
Parquet files the cluster wrote, with DuckDB. The whole build takes minutes on 2 cores, so it is marked `full`
(and `spark`): `make spark-check` or `make test-full`. `make test` runs a slice on its own cluster: the raw load
on Spark and the dbt models behind the daily revenue mart, equal to DuckDB's and to the truth; and the quick
tests of the script's and engine's errors.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from emporium.config import PROJECT_ROOT, Settings, settings_env
from emporium.contract import ENTITIES
from emporium.engine import DuckDBEngine, SparkEngine, connect, engine_for, list_tables
from emporium.spark_session import SparkUnavailable
from quality.gx_sources import COLUMNS_VIEW, SparkSource
from quality.suites import COLUMNS_CATALOG, LAYERS, gate_checks
from quality.suites.silver import ROW_ACCOUNTING
from tests.support import LOAD_TIME_COLUMNS, RUN_RECORD_TABLES, free_port, settings_for
from tests.warehouse.truth import read_csv_rows

SPARK_PYTHON = PROJECT_ROOT / ".venv-spark" / "bin" / "python"
SCRIPT = PROJECT_ROOT / "scripts" / "spark-cluster.sh"
REVENUE_COLUMNS = ("orders", "items", "gross_revenue", "discount_amount", "net_revenue", "refund_amount")


def _script(command: str, run_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "EMPORIUM_SPARK_DIR": str(run_dir), **env}
    return subprocess.run(
        [str(SCRIPT), command], env=environment, capture_output=True, text=True, timeout=900, check=False
    )


def test_status_without_a_cluster_says_so(tmp_path: Path) -> None:
    result = _script("status", tmp_path)
    assert result.returncode == 1
    assert "no Spark cluster running" in result.stderr


def test_start_without_java_says_so(tmp_path: Path) -> None:
    result = _script("start", tmp_path, JAVA_HOME=str(tmp_path / "no-jdk"))
    assert result.returncode == 1
    assert "no bin/java" in result.stderr
    assert not list((tmp_path / "pids").glob("*.pid")) if (tmp_path / "pids").exists() else True


def test_connecting_to_no_cluster_names_the_address(tmp_path: Path) -> None:
    remote = f"sc://127.0.0.1:{free_port()}"
    settings = settings_for(tmp_path, DBT_TARGET="spark", EMPORIUM_SPARK_REMOTE=remote)
    with pytest.raises(
        SparkUnavailable, match=f"no Spark Connect server at {remote}.*spark-cluster.sh start"
    ):
        engine_for(settings).connect().__enter__()
    wrong = settings_for(tmp_path, DBT_TARGET="spark", EMPORIUM_SPARK_REMOTE="spark://127.0.0.1:7077")
    with pytest.raises(SparkUnavailable, match="not a Spark Connect URL"):
        engine_for(wrong).connect().__enter__()


def test_spark_spells_standard_column_types_its_own_way() -> None:
    assert SparkEngine.column_type("varchar not null") == "string not null"
    assert SparkEngine.column_type("double precision") == "double"
    assert DuckDBEngine.column_type("varchar not null") == "varchar not null"


def test_the_spark_gate_source_reads_its_own_columns_view() -> None:
    """Spark has no information_schema: the schema checks read the view SparkSource publishes."""
    (check, *_) = [c for c in gate_checks("silver") if c.name == "columns_match_docs"]
    sql = SparkSource(session=None).query(check.sql or "")
    assert COLUMNS_CATALOG in (check.sql or "") and COLUMNS_CATALOG not in sql and COLUMNS_VIEW in sql


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A standalone cluster (master, one worker, the Connect server) of its own; its EMPORIUM_SPARK_* values."""
    if not SPARK_PYTHON.exists():
        pytest.fail("no Spark environment: run `make install-spark`")
    run_dir = tmp_path_factory.mktemp("spark-cluster")
    try:
        # (a longer wait than the script's 120 s: in the suite the JVMs start beside another worker's builds)
        started = _script("start", run_dir, EMPORIUM_SPARK_START_TIMEOUT="300")
        assert started.returncode == 0, f"spark-cluster.sh start failed:\n{started.stdout}{started.stderr}"
        second = _script("start", run_dir)
        assert second.returncode == 1 and "already running" in second.stderr, "a second cluster was started"
        exports = (run_dir / "cluster.env").read_text(encoding="utf-8").split()
        values = dict(line.split("=", 1) for line in exports if "=" in line)
        yield {**values, "EMPORIUM_SPARK_DIR": str(run_dir)}
    finally:
        stopped = _script("stop", run_dir)
        assert stopped.returncode == 0, stopped.stderr


def _spark_settings(data_dir: Path, landing: Settings, spark_cluster: dict[str, str]) -> Settings:
    """Settings of a data folder of its own on the `spark` target, pointed at the cluster, reading the landing
    zone of `landing`."""
    return settings_for(
        data_dir,
        DBT_TARGET="spark",
        EMPORIUM_LANDING_DIR=str(landing.landing_dir),
        EMPORIUM_SPARK_REMOTE=spark_cluster["EMPORIUM_SPARK_REMOTE"],
    )


def _run_in_spark_env(
    code: str, env: dict[str, str], *args: str, timeout: int
) -> subprocess.CompletedProcess[str]:
    """`code` run by .venv-spark's Python in the project, with `env` over this process's environment."""
    return subprocess.run(
        [str(SPARK_PYTHON), "-W", "ignore", "-c", code, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# run in .venv-spark: the Dagster build (tests.support.build, what `emporium run` does), then the accounting
_DAGSTER_BUILD = """
import json, sys
from emporium.config import load_settings
from quality.accounting import account
from tests.support import build
settings = load_settings()
outcome = build(settings)
print(outcome.render(), file=sys.stderr)
accounting = [(a.entity, a.balanced, a.describe()) for a in account(settings)]
print(json.dumps({"success": outcome.success, "failed_checks": outcome.failed_checks,
                  "failed_steps": outcome.failed_steps, "accounting": accounting}))
"""


@pytest.fixture(scope="module")
def spark_run(
    tiny_landing: Settings, spark_cluster: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The tiny world built on the cluster by one Dagster run of the asset graph with DBT_TARGET=spark (raw
    load, dbt layers with their tests as checks, the Great Expectations gates, the Python assets), in
    .venv-spark; its outcome, the accounting afterwards, and the folder of the cluster's tables."""
    settings = _spark_settings(tmp_path_factory.mktemp("tiny-spark"), tiny_landing, spark_cluster)
    result = _run_in_spark_env(_DAGSTER_BUILD, settings_env(settings), timeout=3600)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"the Dagster build on Spark failed:\n{tail}"
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    warehouse = Path(spark_cluster["EMPORIUM_SPARK_DIR"]) / "warehouse"
    return {**outcome, "render": tail, "warehouse": warehouse, "env": settings_env(settings)}


# run in .venv-spark: the raw load on the cluster, then dbt builds what the daily revenue mart is made of (seeds,
# bronze, silver, the fact and dimensions it reads) and the truth test of daily revenue
_REVENUE_SLICE = """
from emporium.config import load_settings
from emporium.dbt import run_dbt
from ingest.raw_load import load_raw, load_truth
settings = load_settings()
load_raw(settings, None, run_id="spark-slice")
load_truth(settings)
run_dbt(settings, "build", "--select", "+mart_daily_revenue", "assert_daily_revenue_matches_truth",
        "--indirect-selection", "empty", quiet=True)
"""
# what that slice builds in gold
SLICE_GOLD = ("dim_customers", "dim_date", "fct_orders", "mart_daily_revenue")


@pytest.mark.spark
@pytest.mark.slow
def test_daily_revenue_on_a_spark_cluster_equals_duckdb_and_the_truth(
    tiny_warehouse: Settings, spark_cluster: dict[str, str], tmp_path: Path
) -> None:
    """The slice `make test` runs: the same raw load and dbt models on a real cluster give the gold tables the
    Dagster build gave on DuckDB, and the daily revenue of the truth to the cent."""
    settings = _spark_settings(tmp_path, tiny_warehouse, spark_cluster)
    result = _run_in_spark_env(_REVENUE_SLICE, settings_env(settings), timeout=1800)
    assert result.returncode == 0, "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert_gold_equal(
        tiny_warehouse, Path(spark_cluster["EMPORIUM_SPARK_DIR"]) / "warehouse" / "gold.db", SLICE_GOLD
    )


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, decimal.Decimal):
        return value.normalize() if value else decimal.Decimal(0)
    return value


def _rows(connection: Any, select: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(_normal(v) for v in row) for row in connection.execute(select).fetchall())


def _checksum(rows: Counter[tuple[Any, ...]]) -> str:
    return hashlib.sha256("\n".join(sorted(map(repr, rows.elements()))).encode()).hexdigest()[:12]


@pytest.mark.spark
@pytest.mark.full
@pytest.mark.slow
def test_the_tiny_world_on_spark_through_dagster(tiny_warehouse: Settings, spark_run: dict[str, Any]) -> None:
    """One test, so a parallel run (make test-full) builds on Spark once: gates and accounting, gold equal to
    DuckDB's and the truth, then the purge on Parquet tables (last: it changes the world)."""
    assert_gates_passed_and_accounting_balanced(spark_run)
    assert_gold_equal(tiny_warehouse, spark_run["warehouse"] / "gold.db")
    assert_purge_erases_and_keeps_aggregates(spark_run)


def assert_gates_passed_and_accounting_balanced(spark_run: dict[str, Any]) -> None:
    assert spark_run["success"] and not spark_run["failed_steps"], spark_run["render"]
    assert spark_run["failed_checks"] == [], spark_run["render"]
    unbalanced = [described for _, balanced, described in spark_run["accounting"] if not balanced]
    assert len(spark_run["accounting"]) == len(ENTITIES) and not unbalanced, unbalanced
    # every declared gate check recorded once, by the gates run on the cluster (quality.gate_results)
    with duckdb.connect() as duck:
        rows = duck.execute(
            f"select layer, suite, check_name, severity, success from {_table(spark_run, 'quality.gate_results')}"
        ).fetchall()
    for layer in LAYERS:
        recorded = sorted((suite, name) for lay, suite, name, _, _ in rows if lay == layer)
        assert recorded == sorted((c.relation, c.name) for c in gate_checks(layer)), layer
    assert [r for r in rows if r[3] == "error" and not r[4]] == []
    accounting = [success for _, _, name, _, success in rows if name == ROW_ACCOUNTING]
    assert len(accounting) == len(ENTITIES) and all(accounting)


def _table(spark_run: dict[str, Any], relation: str) -> str:
    """A DuckDB table expression over the Parquet files of the cluster's `schema.table` (partitioned or not)."""
    schema, table = relation.split(".")
    return (
        f"read_parquet('{spark_run['warehouse']}/{schema}.db/{table}/**/*.parquet', hive_partitioning = true)"
    )


def assert_gold_equal(tiny_warehouse: Settings, spark_gold: Path, tables: tuple[str, ...] = ()) -> None:
    """Spark's gold tables (all, or `tables`) hold DuckDB's rows; its daily revenue is the truth's."""
    spark_tables = sorted(path.name for path in spark_gold.iterdir() if path.is_dir())
    if tables:  # (the cluster may hold more: `make test-full` builds the whole world on it too)
        assert set(tables) <= set(spark_tables), f"the slice did not build {set(tables) - set(spark_tables)}"
        compared = list(tables)
    else:
        with connect(tiny_warehouse) as warehouse:
            duck_tables = list_tables(warehouse, "gold")
        assert spark_tables == sorted(duck_tables), "both Dagster builds write the same gold tables"
        compared = [t for t in spark_tables if f"gold.{t}" not in RUN_RECORD_TABLES]
        assert len(compared) >= 15, compared
    summary = {}
    with duckdb.connect(str(tiny_warehouse.warehouse_path), read_only=True) as duck:
        for table in compared:
            columns = [
                name
                for (name,) in duck.execute(
                    "select column_name from information_schema.columns where table_schema = 'gold'"
                    " and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if name not in LOAD_TIME_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            files = sorted((spark_gold / table).glob("*.parquet"))
            spark_rows = (
                _rows(duck, f"select {select} from read_parquet({[str(f) for f in files]})")
                if files
                else Counter()
            )
            duck_rows = _rows(duck, f"select {select} from gold.{table}")
            summary[table] = (
                duck_rows.total(),
                spark_rows.total(),
                _checksum(duck_rows),
                _checksum(spark_rows),
            )
            assert duck_rows == spark_rows, (
                table,
                list((duck_rows - spark_rows).items())[:2],
                list((spark_rows - duck_rows).items())[:2],
            )
        revenue = duck.execute(
            f"select revenue_date, {', '.join(REVENUE_COLUMNS)}"
            f" from read_parquet('{spark_gold / 'mart_daily_revenue'}/*.parquet')"
        ).fetchall()
    print("gold (duckdb rows, spark rows, duckdb checksum, spark checksum):", summary, file=sys.stderr)
    truth = {
        row["revenue_date"]: tuple(decimal.Decimal(row[c]) for c in REVENUE_COLUMNS)
        for row in read_csv_rows(tiny_warehouse.truth_dir / "daily_revenue.csv")
    }
    spark_revenue = {
        (day.isoformat() if isinstance(day, dt.date) else str(day)): tuple(
            decimal.Decimal(str(v)) for v in values
        )
        for day, *values in revenue
    }
    assert spark_revenue == truth, "Spark's daily revenue is not the truth's to the cent"


_PURGE = (
    "import sys; from emporium.config import load_settings; from emporium.governance import purge_customer; "
)
_PURGE += "purge_customer(load_settings(), int(sys.argv[1]))"


def assert_purge_erases_and_keeps_aggregates(spark_run: dict[str, Any]) -> None:
    """`emporium purge` on Spark (spark__scrub_statements rewrites each relation): the customer's PII is gone
    from silver and gold, their feature rows from ml, and revenue and order counts stay exactly the same."""
    orders, customers, features = (
        _table(spark_run, r) for r in ("gold.fct_orders", "silver.customers", "ml.fm_customer_churn_features")
    )
    revenue = f"select count(*), sum(net_revenue) from {_table(spark_run, 'gold.mart_daily_revenue')}"

    def state(customer_id: int) -> tuple[Any, ...]:
        with duckdb.connect() as duck:
            return (
                duck.execute(revenue).fetchall(),
                duck.execute(
                    f"select count(*) from {orders} where customer_id = ?", [customer_id]
                ).fetchall(),
                duck.execute(
                    f"select count(*) from {customers} where customer_id = ? and email is not null",
                    [customer_id],
                ).fetchall(),
                duck.execute(
                    f"select count(*) from {features} where customer_id = ?", [customer_id]
                ).fetchall(),
                duck.execute(
                    f"select bool_and(is_erased) from {_table(spark_run, 'gold.dim_customers')}"
                    " where customer_id = ?",
                    [customer_id],
                ).fetchall(),
            )

    with duckdb.connect() as duck:
        ((customer_id,),) = duck.execute(
            f"select o.customer_id from {orders} o join {features} f using (customer_id)"
            f" join {customers} c using (customer_id) where c.email is not null"
            " group by 1 order by count(*) desc, 1 limit 1"
        ).fetchall()
    before = state(customer_id)
    assert before[2][0][0] == 1 and before[3][0][0] > 0 and before[4] == [(False,)], before
    result = _run_in_spark_env(_PURGE, spark_run["env"], str(customer_id), timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    after = state(customer_id)
    assert after[:2] == before[:2], "revenue and the customer's orders are unchanged"
    assert after[2:] == ([(0,)], [(0,)], [(True,)]), after
    with duckdb.connect() as duck:
        erased = duck.execute(f"select customer_id from {_table(spark_run, 'governance.erasure_requests')}")
        assert erased.fetchall() == [(customer_id,)]
