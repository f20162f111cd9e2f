"""After appending a day, an incremental build gives exactly the gold tables of a full refresh."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from emporium.config import Settings
from orchestration import cli
from tests.support import generate, settings_for

# Columns that record when a row was loaded, not what it says.
LOAD_TIME_COLUMNS = {"_loaded_at"}


def gold_differences(left: Path, right: Path) -> dict[str, int]:
    """Rows in one warehouse's gold table and not the other's (both directions, duplicates counted)."""
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


@pytest.mark.slow
def test_incremental_after_append_equals_full_refresh(
    tmp_path: Path, build_warehouse: Callable[[Settings, bool], None]
) -> None:
    incremental = settings_for(tmp_path)
    generate(incremental.landing_dir, tmp_path / "seeds", days="30")
    build_warehouse(incremental, True)
    landing, seeds = str(incremental.landing_dir), str(tmp_path / "seeds")
    assert cli.main(["append", "--days", "1", "--out", landing, "--seeds-dir", seeds, "--quiet"]) == 0
    build_warehouse(incremental, False)

    full = settings_for(
        tmp_path,
        EMPORIUM_WAREHOUSE_PATH=str(tmp_path / "full.duckdb"),
        DBT_TARGET_PATH=str(tmp_path / "full-target"),
    )
    build_warehouse(full, True)

    differences = gold_differences(incremental.warehouse_path, full.warehouse_path)
    assert {"fct_orders", "fct_order_items", "mart_daily_revenue", "dim_customers"} <= differences.keys()
    assert differences == dict.fromkeys(differences, 0)
    with duckdb.connect(str(full.warehouse_path), read_only=True) as connection:
        (days,) = connection.execute("select count(*) from gold.mart_daily_revenue").fetchone()
    assert days == 31, "the appended day is in the mart"
