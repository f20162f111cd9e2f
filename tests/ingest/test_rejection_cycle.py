"""A bad file does not stop the world: a corrupt orders file is rejected and recorded while everything else
loads; the lines and payments of its orders are held, not failed and not lost; re-sending the corrected
file and rebuilding that (old) landing day resolves the rejection and releases them, and the warehouse
equals the planted truth again."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass

import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from ingest.raw_load import FileIssue, LoadReport, file_fingerprints
from orchestration import summary
from quality.accounting import Accounting, account
from tests.ingest.build import (
    build,
    copy_landing,
    file_ids,
    load,
    orphaned_by,
    pick_orders_file,
    raw_rows_per_file,
)
from tests.warehouse.truth import read_csv_rows


@dataclass
class State:
    report: LoadReport
    rejections: list[tuple]
    held: dict[str, set[int]]
    silver: dict[str, set[int]]
    quarantined: set[int]
    accounting: list[Accounting]
    rows_per_file: Counter[tuple[str, str]]
    fingerprints: dict[str, str]
    summary: summary.Summary


def snapshot(settings: Settings, report: LoadReport) -> State:
    with connect(settings) as connection:
        rejections = fetch_all(
            connection,
            "select run_id, entity, landing_day, file, line, problem, file_sha256, resolved_at, resolved_by_run,"
            " resolution from quality.rejected_files order by rejected_at",
        )
        held = {
            entity: {k for (k,) in fetch_all(connection, f"select {key} from silver.held_{entity}")}
            for entity, key in (
                ("order_items", "order_item_id"),
                ("payments", "payment_id"),
                ("returns", "return_id"),
            )
        }
        silver = {
            entity: {k for (k,) in fetch_all(connection, f"select {key} from silver.{entity}")}
            for entity, key in (("order_items", "order_item_id"), ("payments", "payment_id"))
        }
        quarantined = {
            k for (k,) in fetch_all(connection, "select order_item_id from bronze.quarantine_order_items")
        }
    return State(
        report, rejections, held, silver, {int(k) for k in quarantined if k}, account(settings),
        raw_rows_per_file(settings), file_fingerprints(settings.landing_dir), summary.collect(settings),
    )  # fmt: skip


@dataclass
class Cycle:
    settings: Settings
    orders_file: str
    day: dt.date
    orphans: tuple[set[int], set[int]]  # order items, payments
    original_rows: int
    rejected: State
    resent: State


@pytest.fixture(scope="module")
def cycle(tiny_landing: Settings, tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    settings = copy_landing(tiny_landing.landing_dir, tmp_path_factory.mktemp("rejection-cycle"))
    landing = settings.landing_dir
    orders_file = pick_orders_file(landing)
    day = dt.date.fromisoformat(orders_file.split("date=")[1][:10])
    path = landing / orders_file
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2 + 7])  # cut inside a row, as a broken transfer would
    # 1. the full build: the corrupt file is left out, nothing else; the truth tests (included) leave out
    #    what depends on it (macros/truth.sql) and hold for the rest
    report = load(settings, "with-corrupt-file")
    build(settings)
    rejected = snapshot(settings, report)
    # 2. the partner re-sends the corrected file; only that landing day is reloaded and rebuilt
    path.write_bytes(original)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    report = load(settings, "resent", [day])
    build(settings, window=(day, day))  # truth tests included: they must hold again
    resent = snapshot(settings, report)
    rows = len(file_ids(path, "order_id"))
    orphans = orphaned_by(landing, orders_file)
    return Cycle(
        settings,
        orders_file,
        day,
        (set(orphans["order_items"]), set(orphans["payments"])),
        rows,
        rejected,
        resent,
    )


def test_the_corrupt_file_is_recorded_with_file_line_and_problem(cycle: Cycle) -> None:
    (issue,) = cycle.rejected.report.rejected
    assert (issue.entity, issue.landing_day, issue.file) == ("orders", cycle.day, cycle.orders_file)
    assert issue.line is not None and issue.line > 1
    assert "truncated row" in issue.problem
    assert (
        "REJECTED" in cycle.rejected.report.render() and cycle.orders_file in cycle.rejected.report.render()
    )
    ((run, entity, day, file, line, problem, sha, resolved_at, _, _),) = cycle.rejected.rejections
    assert (run, entity, str(day), file, line, problem) == (
        "with-corrupt-file", "orders", str(cycle.day), cycle.orders_file, issue.line, issue.problem,
    )  # fmt: skip
    assert sha and resolved_at is None, "open until a good version loads"


def test_the_rest_of_the_partition_and_every_other_day_load(cycle: Cycle) -> None:
    truth = {
        r["entity"]: int(r["raw_rows"]) for r in read_csv_rows(cycle.settings.truth_dir / "row_counts.csv")
    }
    expected = dict(truth, orders=truth["orders"] - cycle.original_rows)
    assert cycle.rejected.report.rows == expected
    loaded_files = {file for (entity, file) in cycle.rejected.rows_per_file}
    assert cycle.orders_file not in loaded_files
    day_files = {f for f in loaded_files if f"date={cycle.day}" in f}
    assert len(day_files) >= 5, "the other entities' files of the same landing day loaded"


def test_children_of_the_missing_orders_are_held(cycle: Cycle) -> None:
    items, payments = cycle.orphans
    assert items, "the chosen file orphans some order lines"
    state = cycle.rejected
    assert state.held["order_items"] == items
    assert state.held["payments"] == payments
    assert not items & state.silver["order_items"] and not payments & state.silver["payments"]
    assert not items & state.quarantined, "held, not quarantined"


def test_the_accounting_balances_with_held_rows(cycle: Cycle) -> None:
    by_entity = {a.entity: a for a in cycle.rejected.accounting}
    assert all(a.balanced for a in cycle.rejected.accounting), [
        a.describe() for a in cycle.rejected.accounting
    ]
    assert by_entity["order_items"].held_rows == len(cycle.orphans[0])
    assert "held" in by_entity["order_items"].describe()


def test_the_resent_file_is_noticed_and_resolves_the_rejection(cycle: Cycle) -> None:
    changed = {p for p, fp in cycle.resent.fingerprints.items() if cycle.rejected.fingerprints.get(p) != fp}
    assert changed == {cycle.orders_file}, "the sensor's fingerprints single out the re-sent file"
    assert cycle.resent.report.rejected == []
    assert cycle.resent.report.resolved == [cycle.orders_file]
    assert cycle.resent.report.days == (cycle.day,)
    ((*_, resolved_at, resolved_by, resolution),) = cycle.resent.rejections
    assert resolved_at is not None and (resolved_by, resolution) == ("resent", "loaded")


def test_the_rebuilt_partition_releases_the_held_rows(cycle: Cycle) -> None:
    items, payments = cycle.orphans
    state = cycle.resent
    assert state.held == {"order_items": set(), "payments": set(), "returns": set()}
    assert items <= state.silver["order_items"] and payments <= state.silver["payments"]
    assert all(a.balanced and a.held_rows == 0 for a in state.accounting)
    truth = {
        r["entity"]: int(r["raw_rows"]) for r in read_csv_rows(cycle.settings.truth_dir / "row_counts.csv")
    }
    assert sum(n for (e, _), n in state.rows_per_file.items() if e == "orders") == truth["orders"]
    with connect(cycle.settings) as connection:
        in_gold = fetch_all(
            connection,
            f"select count(*) from gold.fct_order_items where order_item_id in ({', '.join(map(str, items))})",
        )[0][0]
    assert in_gold == len(items)


def test_issue_fields_are_the_public_shape(cycle: Cycle) -> None:
    (issue,) = cycle.rejected.report.rejected
    assert isinstance(issue, FileIssue)
    assert cycle.rejected.report.rejected_for("orders") == [issue]
    assert cycle.rejected.report.rejected_for("order_items") == []
    assert not cycle.rejected.report.ok and cycle.resent.report.ok


def test_the_run_summary_says_what_was_rejected_and_held(cycle: Cycle) -> None:
    before, after = cycle.rejected.summary, cycle.resent.summary
    assert [issue.file for issue in before.rejected_files] == [cycle.orders_file]
    assert ("order_items", "orders", len(cycle.orphans[0])) in before.held
    assert cycle.orders_file in summary.render(before)
    assert after.rejected_files == [] and after.held == []
