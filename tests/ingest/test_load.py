"""The raw load on DuckDB: every landed row arrives, loading days replaces exactly those days, a failed load
changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from emporium.config import Settings
from emporium.contract import ENTITIES
from emporium.engine import DuckDBEngine, connect, fetch_all
from ingest import raw_load
from ingest.raw_load import LoadReport, landing_days, load_raw
from tests.ingest.build import load
from tests.support import settings_for
from tests.warehouse.truth import read_csv_rows


def rows_per_day(settings: Settings) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    with connect(settings) as connection:
        for entity in ENTITIES:
            sql = f'select "date", count(*) from raw.{entity.name} group by 1'
            counts.update({(entity.name, day): n for day, n in fetch_all(connection, sql)})
    return counts


@pytest.fixture(scope="module")
def loaded(tiny_landing: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, LoadReport]:
    """The tiny landing zone loaded in full into a warehouse of its own."""
    settings = settings_for(
        tmp_path_factory.mktemp("raw-load"), EMPORIUM_LANDING_DIR=str(tiny_landing.landing_dir)
    )
    return settings, load(settings, "full")


def test_every_landed_row_is_loaded(loaded: tuple[Settings, LoadReport]) -> None:
    settings, report = loaded
    truth = {
        row["entity"]: int(row["raw_rows"]) for row in read_csv_rows(settings.truth_dir / "row_counts.csv")
    }
    days = landing_days(settings.landing_dir)
    assert report.rows == truth
    assert report.files == dict.fromkeys(truth, len(days)), "one file per entity and landing day"
    assert report.rejected == [] and report.warnings == []
    assert sum(rows_per_day(settings).values()) == sum(truth.values())
    with connect(settings) as connection:
        (truth_rows,) = fetch_all(connection, "select count(*) from raw_truth.row_counts")[0]
    assert truth_rows == len(truth)


def test_loading_days_replaces_exactly_those_days(loaded: tuple[Settings, LoadReport]) -> None:
    settings, _ = loaded
    before = rows_per_day(settings)
    days = landing_days(settings.landing_dir)[3:5]
    report = load_raw(settings, days, run_id="two-days")
    wanted = {day.isoformat() for day in days}
    assert report.rows == {
        e.name: sum(n for (e2, d), n in before.items() if e2 == e.name and d in wanted) for e in ENTITIES
    }
    assert sum(report.rows.values()) > 0
    assert rows_per_day(settings) == before, "idempotent: reloading days gives the same rows"
    assert sum(load_raw(settings, [dt.date(1999, 1, 1)], run_id="no-such-day").rows.values()) == 0
    assert rows_per_day(settings) == before


def test_a_failed_load_leaves_raw_as_it_was(
    loaded: tuple[Settings, LoadReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = loaded
    before = rows_per_day(settings)
    writer = raw_load.WRITERS[DuckDBEngine]

    def failing_writer(connection: object, entity: object, files: list[object]) -> int:
        if getattr(entity, "name", "") == "returns":
            raise OSError("disk full")
        return writer(connection, entity, files)

    monkeypatch.setitem(raw_load.WRITERS, DuckDBEngine, failing_writer)
    with pytest.raises(OSError, match="disk full"):
        load_raw(settings, None, run_id="fails")
    assert rows_per_day(settings) == before, "one transaction: nothing of the failed load remains"


def test_a_missing_landing_zone_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(raw_load.LoadError, match="landing zone not found"):
        load_raw(settings, None, run_id="none")
