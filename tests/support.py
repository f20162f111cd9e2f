"""Helpers the test packages share: settings for a scratch data directory, a tiny generated world."""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path
from typing import Any

from emporium.config import Settings, load_settings
from orchestration import cli
from orchestration.runner import RunOutcome, materialize_warehouse

# 120 days: the churn feature mart has two as-of dates with a label (2025-02-01, 2025-03-01: the label
# needs 60 days after its as-of date); the drift day (2025-03-01) lies inside, after the campaign
TINY = {"scale": "0.01", "days": "120", "seed": "42", "drift_day": "59"}


def free_port() -> int:
    """A TCP port nobody listens on at the moment (for a server a test starts on 127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(data_dir: Path, **overrides: str) -> Settings:
    # Paths derive from data_dir unless overridden, whatever the calling shell exports.
    # (a run exports its settings to the processes it starts, so an earlier test's MLflow store may be set)
    derived = (
        "EMPORIUM_LANDING_DIR", "EMPORIUM_WAREHOUSE_PATH", "DAGSTER_HOME", "MLFLOW_TRACKING_URI",
        "EMPORIUM_MLFLOW_ARTIFACTS", "EMPORIUM_ONLINE_STORE_PATH", "EMPORIUM_PREDICTION_LOG",
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in derived}
    env |= {"EMPORIUM_DATA_DIR": str(data_dir), "DBT_TARGET": "duckdb"}
    env["DBT_TARGET_PATH"] = str(data_dir / "target")
    return load_settings({**env, **overrides})


def generate(landing_dir: Path, seeds_dir: Path, days: str = TINY["days"]) -> None:
    args = ["generate", "--scale", TINY["scale"], "--days", days, "--seed", TINY["seed"]]
    args += ["--drift-day", TINY["drift_day"]]
    code = cli.main([*args, "--out", str(landing_dir), "--seeds-dir", str(seeds_dir), "--quiet"])
    assert code == 0, "the generator failed"


def postgres_settings(
    data_dir: Path, landing_dir: Path, pg_env: dict[str, str], **overrides: str
) -> Settings:
    """Settings for the `postgres` target on the server `pg_env` (EMPORIUM_PG_*) names; `overrides` win
    (e.g. EMPORIUM_PG_DATABASE for a database of one's own on that server)."""
    env = {**pg_env, **overrides}
    return settings_for(data_dir, DBT_TARGET="postgres", EMPORIUM_LANDING_DIR=str(landing_dir), **env)


def build(
    settings: Settings, *, full_refresh: bool = True, window: tuple[dt.date, dt.date] | None = None
) -> RunOutcome:
    """One in-process Dagster run of every warehouse asset over `window` (default: every landing day)."""
    return materialize_warehouse(settings, window=window, full_refresh=full_refresh)


def build_with_dbt(settings: Settings, *, full_refresh: bool = True) -> None:
    """The quick build for tests of the models themselves: the raw load of every day, then one `dbt build`
    (full refresh, or dbt's own incremental window). No Dagster run, no gates."""
    from emporium.dbt import run_dbt
    from ingest.raw_load import load_raw, load_truth

    load_raw(settings, None, run_id="tests")
    load_truth(settings)
    from emporium.dbt import AFTER_PYTHON

    flags = ["--full-refresh"] if full_refresh else []
    # the models over Python assets' tables need those assets first: the quick build has none
    flags += ["--exclude", AFTER_PYTHON, *(["tag:truth"] if not settings.truth_dir.exists() else [])]
    run_dbt(settings, "build", *flags, quiet=True)


# Columns that record when and by which dbt invocation a row was loaded, not what it says.
LOAD_TIME_COLUMNS = {"_loaded_at", "_invocation_id"}
# Schemas that record the runs themselves, not what the data says: gate results per run id, when a file was
# rejected and when its re-send resolved it. Two builds of the same data legitimately differ there.
RUN_RECORD_SCHEMAS = {"quality"}
# gold marts over those records (rejected files per day, gate runs): they report the runs, so they differ too
RUN_RECORD_TABLES = {"gold.mart_data_quality_daily", "gold.mart_quality_gate_runs"}
# A dbt snapshot accrues one version per state a run saw (timestamp strategy: dbt_valid_from and
# dbt_updated_at are the row's own updated_at, not the clock). A world built in several runs (a backfill,
# a re-send) saw more intermediate states than one clean build, so its closed versions legitimately
# differ; its current versions must not, and no version may be recorded twice.
SNAPSHOT_COLUMNS = {"dbt_scd_id", "dbt_valid_to"}


def warehouse_differences(left: Path, right: Path) -> dict[str, int | str]:
    """Per table (`schema.table`) of every schema a build writes, in either DuckDB warehouse: the rows in one
    and not the other (both directions, duplicates counted), or which side lacks the table or a column.
    Snapshots compare their current versions, plus any version recorded twice on either side."""
    import duckdb

    with duckdb.connect(str(left), read_only=True) as connection:
        connection.execute(f"attach '{right}' as other (read_only)")
        columns: dict[str, dict[str, list[str]]] = {}
        for side in (connection.execute("select current_database()").fetchone()[0], "other"):
            for schema, table, column in connection.execute(
                "select table_schema, table_name, column_name from information_schema.columns"
                " where table_catalog = ? order by table_schema, table_name, ordinal_position", [side]
            ).fetchall():  # fmt: skip
                if schema not in RUN_RECORD_SCHEMAS and f"{schema}.{table}" not in RUN_RECORD_TABLES:
                    columns.setdefault(f"{schema}.{table}", {}).setdefault(side, []).append(column)
        return {name: _difference(connection, name, sides) for name, sides in sorted(columns.items())}


def _difference(connection: Any, name: str, sides: dict[str, list[str]]) -> int | str:
    if len(sides) == 1:
        return "only in " + ("the right warehouse" if "other" in sides else "the left warehouse")
    here_columns, there_columns = (sorted(set(c) - LOAD_TIME_COLUMNS) for c in sides.values())
    if here_columns != there_columns:
        return f"columns differ: {sorted(set(here_columns) ^ set(there_columns))}"
    select = ", ".join(f'"{c}"' for c in here_columns)
    here, there = f"select {select} from {name}", f"select {select} from other.{name}"
    twice = 0
    if set(here_columns) >= SNAPSHOT_COLUMNS:
        # Which version of each row is current must agree. Its other columns were copied when the version was
        # recorded: a late, older change-feed row (a re-sent file) changes silver's derived columns (e.g.
        # version_count) but not updated_at, so the timestamp strategy rightly records no new version.
        current = "dbt_scd_id, dbt_valid_from, dbt_updated_at"
        here = f"select {current} from {name} where dbt_valid_to is null"
        there = f"select {current} from other.{name} where dbt_valid_to is null"
        for table in (name, f"other.{name}"):
            (surplus,) = connection.execute(
                f"select count(*) - count(distinct dbt_scd_id) from {table}"
            ).fetchone()
            twice += surplus
    (count,) = connection.execute(
        f"select count(*) from (({here} except all {there}) union all ({there} except all {here}))"
    ).fetchone()
    return count + twice


# the schemas every build writes (more may come, e.g. a later ML step's: warehouse_differences finds them)
BUILT_SCHEMAS = {"raw", "seeds", "bronze", "silver", "snapshots", "gold", "ml"}


def graph_only_tables() -> set[str]:
    """`schema.table` of what only the Dagster graph writes, never a quick build (`build_with_dbt`): the
    Python assets' tables (batch scoring, drift, ...) and the dbt models over them (tag python_inputs)."""
    import json

    from orchestration.definitions import defs
    from orchestration.warehouse import MANIFEST

    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"].values()
    dbt_built = {
        (n["schema"], n["name"]) for n in nodes if n["resource_type"] in ("model", "seed", "snapshot")
    }
    after_python = {(n["schema"], n["name"]) for n in nodes if "python_inputs" in n.get("tags", ())}
    python = {
        tuple(key.path)
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if len(key.path) == 2 and key.path[0] in ("ml", "gold") and tuple(key.path) not in dbt_built
    }
    return {f"{schema}.{name}" for schema, name in python | after_python}


def assert_same_warehouse(left: Path, right: Path, why: str, *, left_is_quick_build: bool = False) -> None:
    """`left` holds what the clean build `right` holds: every schema a build writes, table for table. A quick
    build on the left (no Dagster) lacks exactly the tables only the graph writes; nothing else may differ."""
    differences = warehouse_differences(left, right)
    if left_is_quick_build:
        graph_only = graph_only_tables()
        assert graph_only, "the graph writes tables of its own (batch scoring, drift, ...)"
        differences = {
            name: d
            for name, d in differences.items()
            if not (name in graph_only and d == "only in the right warehouse")
        }
    assert {name.split(".")[0] for name in differences} >= BUILT_SCHEMAS, sorted(differences)
    differing = {name: d for name, d in differences.items() if d != 0}
    assert not differing, f"{why}; differing tables: {differing}"
