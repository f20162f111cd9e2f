"""Building a scratch warehouse the way the orchestrator does, without it: the raw load, then dbt."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from emporium.config import Settings
from emporium.contract import ENTITIES
from emporium.dbt import AFTER_PYTHON, run_dbt
from emporium.engine import connect, fetch_all
from ingest.raw_load import LoadReport, load_raw, load_truth
from tests.support import settings_for


def copy_landing(landing_dir: Path, data_dir: Path) -> Settings:
    """Settings of a scratch DuckDB warehouse in `data_dir` over a copy of the landing zone."""
    settings = settings_for(data_dir)
    shutil.copytree(landing_dir, settings.landing_dir)
    return settings


def load(settings: Settings, run_id: str, days: Sequence[dt.date] | None = None) -> LoadReport:
    report = load_raw(settings, days, run_id=run_id)
    load_truth(settings)
    return report


def build(
    settings: Settings,
    *,
    window: tuple[dt.date, dt.date] | None = None,
    truth: bool = True,
    select: Sequence[str] = (),
    command: str = "build",
) -> None:
    """`dbt build`: a full refresh, or incremental over the landing days `window` (the orchestrator's vars)."""
    if window is None:
        args = [command, "--full-refresh"]
    else:
        args = [
            command,
            "--vars",
            json.dumps({"landing_start": str(window[0]), "landing_end": str(window[1])}),
        ]
    if select:
        args += ["--select", *select]
    # the models over Python assets' tables need those assets first: these builds run none
    args += ["--exclude", AFTER_PYTHON, *(["tag:truth"] if not truth else [])]
    run_dbt(settings, *args, quiet=True)


def raw_rows_per_file(settings: Settings) -> Counter[tuple[str, str]]:
    """(entity, _source_file) -> rows in raw."""
    counts: Counter[tuple[str, str]] = Counter()
    with connect(settings) as connection:
        for entity in ENTITIES:
            sql = f"select _source_file, count(*) from raw.{entity.name} group by 1"
            counts.update({(entity.name, path): n for path, n in fetch_all(connection, sql)})
    return counts


def file_ids(path: Path, column: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def ids_of(landing: Path, entity: str, column: str, skip: str = "") -> dict[str, set[str]]:
    """file -> the `column` values in each of the entity's files (except `skip`)."""
    return {
        path.relative_to(landing).as_posix(): set(file_ids(path, column))
        for path in sorted((landing / entity).glob("*/*.csv"))
        if path.relative_to(landing).as_posix() != skip
    }


def orphaned_by(landing: Path, orders_file: str) -> dict[str, dict[int, str]]:
    """Order items and payments whose every order row is in `orders_file` (computed from the files):
    entity -> key -> the file the child landed in."""
    elsewhere = set().union(*ids_of(landing, "orders", "order_id", skip=orders_file).values())
    orphans = set(file_ids(landing / orders_file, "order_id")) - elsewhere
    held: dict[str, dict[int, str]] = {}
    for entity, key in (("order_items", "order_item_id"), ("payments", "payment_id")):
        held[entity] = {
            int(row[key]): path.relative_to(landing).as_posix()
            for path in sorted((landing / entity).glob("*/*.csv"))
            for row in csv.DictReader(path.open(newline="", encoding="utf-8"))
            if row["order_id"] in orphans and row[key]
        }
    return held


def pick_orders_file(landing: Path) -> str:
    """The oldest orders file whose loss orphans some order lines (an order that lands only there)."""
    for path in sorted((landing / "orders").glob("*/*.csv")):
        relative = path.relative_to(landing).as_posix()
        if orphaned_by(landing, relative)["order_items"]:
            return relative
    raise AssertionError("the tiny world has no order that lands in one file only")
