"""Helpers the test packages share: settings for a scratch data directory, a tiny generated world."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from emporium.config import Settings, load_settings
from orchestration import cli
from orchestration.runner import RunOutcome, materialize_warehouse

# 120 days: the churn feature mart has two as-of dates with a label (2025-02-01, 2025-03-01: the label
# needs 60 days after its as-of date); the drift day (2025-03-01) lies inside, after the campaign
TINY = {"scale": "0.01", "days": "120", "seed": "42", "drift_day": "59"}


def settings_for(data_dir: Path, **overrides: str) -> Settings:
    # Paths derive from data_dir unless overridden, whatever the calling shell exports.
    derived = ("EMPORIUM_LANDING_DIR", "EMPORIUM_WAREHOUSE_PATH", "DAGSTER_HOME")
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
    flags = ["--full-refresh"] if full_refresh else []
    if not settings.truth_dir.exists():
        flags += ["--exclude", "tag:truth"]
    run_dbt(settings, "build", *flags, quiet=True)


# Columns that record when a row was loaded, not what it says.
LOAD_TIME_COLUMNS = {"_loaded_at"}


def gold_differences(left: Path, right: Path) -> dict[str, int]:
    """Rows in one DuckDB warehouse's gold table and not the other's (both directions, duplicates counted)."""
    import duckdb

    differences: dict[str, int] = {}
    with duckdb.connect(str(left), read_only=True) as connection:
        connection.execute(f"attach '{right}' as other (read_only)")
        tables = [t for (t,) in connection.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = current_database() and table_schema = 'gold' order by 1"
        ).fetchall()]  # fmt: skip
        for table in tables:
            columns = [c for (c,) in connection.execute(
                "select column_name from information_schema.columns where table_catalog = current_database()"
                " and table_schema = 'gold' and table_name = ? order by ordinal_position", [table]
            ).fetchall() if c not in LOAD_TIME_COLUMNS]  # fmt: skip
            select = ", ".join(f'"{c}"' for c in columns)
            here, there = f"select {select} from gold.{table}", f"select {select} from other.gold.{table}"
            (count,) = connection.execute(
                f"select count(*) from (({here} except all {there}) union all ({there} except all {here}))"
            ).fetchone()
            differences[table] = count
    return differences
