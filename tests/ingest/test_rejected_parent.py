"""A rejected customers file does not fail the rows that refer to its customers: while it is out, orders
(and events, contacts, tickets) of customers who land only in it are held, not quarantined as
unknown_customer, and the truth tests still pass; re-sending it and rebuilding from its day to the newest
(what the landing sensor asks for) releases them, and gold equals a build that never saw the broken file."""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from ingest.landing_zone import landing_day_of, landing_days
from quality.accounting import account
from tests.ingest.build import build, copy_landing, load
from tests.support import assert_same_warehouse


def customer_ids(path: Path) -> set[int]:
    with duckdb.connect() as connection:
        rows = connection.execute("select customer_id from read_parquet(?)", [str(path)]).fetchall()
    return {int(customer_id) for (customer_id,) in rows if customer_id is not None}


def orders_of(landing: Path, customers: set[int]) -> set[int]:
    return {
        int(row["order_id"])
        for path in sorted((landing / "orders").glob("*/*.csv"))
        for row in csv.DictReader(path.open(newline="", encoding="utf-8"))
        if row["customer_id"].isdigit() and int(row["customer_id"]) in customers and row["order_id"].isdigit()
    }


def pick_customers_file(landing: Path) -> tuple[str, set[int]]:
    """The oldest customers file (after the first week) holding customers who land nowhere else and order."""
    files = sorted((landing / "customers").glob("*/*.parquet"))
    ids = {path: customer_ids(path) for path in files}
    for path in files[7:]:
        only_here = ids[path] - set().union(*(ids[other] for other in files if other != path))
        if orders_of(landing, only_here):
            return path.relative_to(landing).as_posix(), only_here
    raise AssertionError("the tiny world has no customer who lands in one file and orders")


@dataclass
class World:
    settings: Settings
    day: dt.date
    orphans: set[int]  # orders of the customers only the rejected file holds
    held: set[int]
    quarantined_unknown: set[int]
    accounting_balanced: bool
    resent_held: dict[str, int]
    resent_orders: set[int]


def _held(settings: Settings, entity: str, key: str) -> set[int]:
    with connect(settings) as connection:
        return {int(k) for (k,) in fetch_all(connection, f"select {key} from silver.held_{entity}")}


@pytest.fixture(scope="module")
def world(tiny_landing: Settings, tmp_path_factory: pytest.TempPathFactory) -> World:
    settings = copy_landing(tiny_landing.landing_dir, tmp_path_factory.mktemp("rejected-parent"))
    relative, customers = pick_customers_file(settings.landing_dir)
    day = landing_day_of(relative)
    assert day is not None
    path = settings.landing_dir / relative
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2])  # a cut-off transfer: not a Parquet file any more

    report = load(settings, "with-broken-customers")
    assert [issue.file for issue in report.rejected] == [relative]
    build(settings)  # truth tests included: they leave out what waits for the customers file
    with connect(settings) as connection:
        quarantined = fetch_all(
            connection,
            "select order_id from bronze.quarantine_orders where reason = 'unknown_customer'"
            " and _landing_date >= %s",
            (day.isoformat(),),
        )
    held = _held(settings, "orders", "order_id")
    balanced = all(a.balanced for a in account(settings))

    path.write_bytes(original)  # re-sent
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    days = landing_days(settings.landing_dir)
    newest = days[-1]
    load(settings, "resent", [d for d in days if d >= day])
    build(settings, window=(day, newest))
    resent_held = {
        entity: len(_held(settings, entity, key))
        for entity, key in (
            ("orders", "order_id"),
            ("web_events", "event_id"),
            ("order_items", "order_item_id"),
        )
    }
    with connect(settings) as connection:
        resent_orders = {int(k) for (k,) in fetch_all(connection, "select order_id from silver.orders")}
    return World(
        settings, day, orders_of(settings.landing_dir, customers), held,
        {int(k) for (k,) in quarantined if k is not None and str(k).isdigit()}, balanced, resent_held,
        resent_orders,
    )  # fmt: skip


def test_orders_of_the_missing_customers_are_held_not_quarantined(world: World) -> None:
    assert world.orphans, "the chosen file's customers place orders"
    assert world.orphans <= world.held, "every order of a customer in the rejected file waits"
    assert not world.orphans & world.quarantined_unknown, "none is failed as unknown_customer"
    assert world.quarantined_unknown == set(), "no unknown reference landed since the rejection fails"
    assert world.accounting_balanced, "raw = silver + held + collapsed + quarantined, per entity"


def test_the_resend_releases_them_and_gold_equals_a_clean_build(
    world: World, tiny_warehouse: Settings
) -> None:
    assert world.resent_held == {"orders": 0, "web_events": 0, "order_items": 0}
    assert world.orphans <= world.resent_orders
    assert_same_warehouse(
        world.settings.warehouse_path,
        tiny_warehouse.warehouse_path,
        "equals a build that never saw the broken file",
        left_is_quick_build=True,
    )
