"""Gold equals the planted truth despite the defects; bronze quarantines exactly the injected bad rows."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from emporium.config import Settings
from emporium.engine import connect, fetch_all, list_tables
from tests.support import TINY
from tests.warehouse.truth import quarantine_defects, read_csv_rows

REVENUE_COLUMNS = ("orders", "items", "gross_revenue", "discount_amount", "net_revenue", "refund_amount")


def test_daily_revenue_equals_truth_to_the_cent(tiny_warehouse: Settings) -> None:
    truth = {
        row["revenue_date"]: tuple(Decimal(row[c]) for c in REVENUE_COLUMNS)
        for row in read_csv_rows(tiny_warehouse.truth_dir / "daily_revenue.csv")
    }
    with connect(tiny_warehouse) as connection:
        rows = fetch_all(
            connection, f"select revenue_date, {', '.join(REVENUE_COLUMNS)} from gold.mart_daily_revenue"
        )
    gold = {str(day): tuple(Decimal(str(v)) for v in values) for day, *values in rows}
    assert len(truth) == int(TINY["days"]), "one truth row per generated day"
    assert gold == truth


def held_rows(connection: Any, entity: str) -> int:
    """Rows of silver.held_<entity> (clean rows waiting for a parent); 0 for entities without parents."""
    if f"held_{entity}" not in list_tables(connection, "silver"):
        return 0
    return int(fetch_all(connection, f"select count(*) from silver.held_{entity}")[0][0])


def test_silver_row_counts_equal_truth(tiny_warehouse: Settings) -> None:
    """Clean rows = silver rows + held rows; once everything has landed nothing waits, so held is 0."""
    truth = read_csv_rows(tiny_warehouse.truth_dir / "row_counts.csv")
    with connect(tiny_warehouse) as connection:
        silver = {
            row["entity"]: fetch_all(connection, f"select count(*) from silver.{row['entity']}")[0][0]
            for row in truth
        }
        held = {row["entity"]: held_rows(connection, row["entity"]) for row in truth}
    assert silver == {row["entity"]: int(row["clean_rows"]) for row in truth}
    assert held == dict.fromkeys(held, 0)


def test_every_raw_row_is_accounted_for(tiny_warehouse: Settings) -> None:
    """raw = silver + held + collapsed duplicates + quarantined, per entity, against the generator's raw
    counts."""
    with connect(tiny_warehouse) as connection:
        for row in read_csv_rows(tiny_warehouse.truth_dir / "row_counts.csv"):
            entity = row["entity"]
            valid, silver, quarantined = (
                fetch_all(connection, f"select count(*) from {table}")[0][0]
                for table in (f"bronze.stg_shop__{entity}", f"silver.{entity}", f"bronze.quarantine_{entity}")
            )
            held = held_rows(connection, entity)
            collapsed = valid - silver - held
            assert (silver + held, collapsed, quarantined) == (
                int(row["clean_rows"]),
                int(row["collapsed_rows"]),
                int(row["quarantined_rows"]),
            ), entity
            assert silver + held + collapsed + quarantined == int(row["raw_rows"]), entity


def test_quarantine_catches_every_injected_invalid_row(tiny_warehouse: Settings) -> None:
    expected = quarantine_defects(tiny_warehouse.truth_dir)
    found: Counter[tuple[str, str]] = Counter()
    with connect(tiny_warehouse) as connection:
        for table in list_tables(connection, "bronze"):
            if table.startswith("quarantine_"):
                entity = table.removeprefix("quarantine_")
                sql = f"select reason, count(*) from bronze.{table} group by reason"
                found.update({(entity, reason): count for reason, count in fetch_all(connection, sql)})
    assert sum(expected.values()) > 20, "the tiny world should carry a fair sample of invalid rows"
    assert found == expected


def test_quarantined_rows_are_the_logged_ones(tiny_warehouse: Settings) -> None:
    """Not just the counts: the same (file, key) pairs the defect log names."""
    logged = Counter(
        (row["entity"], row["source_file"], row["record_key"], row["defect"])
        for row in read_csv_rows(tiny_warehouse.truth_dir / "defect_log.csv")
        # a malformed JSON line's key is logged, but no reader can take it from the broken line
        if row["outcome"] == "quarantine" and row["record_key"] and row["defect"] != "malformed_json"
    )
    keys = {row["entity"]: row for row in read_csv_rows(tiny_warehouse.truth_dir / "row_counts.csv")}
    found: Counter[tuple[str, str, str, str]] = Counter()
    with connect(tiny_warehouse) as connection:
        for entity in keys:
            key = fetch_all(
                connection,
                "select column_name from information_schema.columns where table_schema = 'bronze'"
                f" and table_name = 'stg_shop__{entity}' order by ordinal_position limit 1",
            )[0][0]
            table = f"bronze.quarantine_{entity}"
            sql = f"select _source_file, {key}, reason from {table} where {key} is not null"
            found.update((entity, path, str(k), reason) for path, k, reason in fetch_all(connection, sql))
    assert logged
    assert found == logged
