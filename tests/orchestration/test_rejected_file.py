"""Broken landing files do not stop the world: they are recorded and left out, the rest loads, their children
wait, and the closing summary says how much revenue waits on which file (`emporium run` exits 3). When the
corrected files are re-sent, the sensor asks for the oldest one's (old) partition onwards, a backfill of that
range from the Dagster CLI rebuilds it, and gold equals a build that never saw the broken files."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from emporium.config import PROJECT_ROOT, Settings, settings_env
from emporium.engine import connect, fetch_all
from orchestration import summary
from orchestration.automation import WAREHOUSE_CLI_SELECTION
from orchestration.commands import FILES_REJECTED, print_summary
from orchestration.ingest import LEDGER
from orchestration.instance import get_instance
from orchestration.partitions import LANDING_DAY
from orchestration.runner import RunOutcome
from tests.ingest.build import pick_orders_file
from tests.ingest.test_rejected_parent import customer_ids, orders_of
from tests.orchestration.test_automation import RANGE_END, RANGE_START, evaluate_sensor
from tests.support import assert_same_warehouse, build, settings_for


@dataclass
class RejectedWorld:
    settings: Settings
    day: dt.date  # the oldest broken file's day: the orders file's
    file: Path  # the orders file
    originals: dict[Path, bytes]  # every broken file: orders, customers, two order_items
    outcome: RunOutcome


def _customers_file_after(landing: Path, day: dt.date) -> Path:
    """A customers file after `day` holding customers who land nowhere else and order (they will be held)."""
    files = sorted((landing / "customers").glob("*/*.parquet"))
    ids = {path: customer_ids(path) for path in files}
    for path in files:
        only_here = ids[path] - set().union(*(ids[other] for other in files if other != path))
        if path.parent.name > f"date={day}" and orders_of(landing, only_here):
            return path
    raise AssertionError(f"the tiny world has no customers file after {day} whose customers order")


@pytest.fixture(scope="module")
def rejected(tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> RejectedWorld:
    settings = settings_for(tmp_path_factory.mktemp("rejected"))
    shutil.copytree(tiny_warehouse.landing_dir, settings.landing_dir)
    landing = settings.landing_dir
    file = landing / pick_orders_file(landing)  # an old day whose orders only land in this file
    day = dt.date.fromisoformat(file.parent.name.removeprefix("date="))
    later_items = [
        p for p in sorted((landing / "order_items").glob("*/*.csv")) if p.parent.name > f"date={day}"
    ]
    broken = [file, _customers_file_after(landing, day), *later_items[:2]]  # as a new user tried it
    originals = {path: path.read_bytes() for path in broken}
    for path, original in originals.items():
        path.write_bytes(original[: len(original) // 2].rstrip(b"\n"))  # a transfer cut off mid-file
    return RejectedWorld(settings, day, file, originals, build(settings, full_refresh=True))


def test_broken_file_is_recorded_and_everything_else_loads(rejected: RejectedWorld) -> None:
    outcome = rejected.outcome
    assert outcome.success, "one broken file does not fail the run"
    errors = sorted(check for check in outcome.failed_checks if check[2] == "ERROR")
    # the truth checks (error severity, blocking) leave out what the open rejections keep from them
    assert errors == [
        ("raw/shop", f"files_accepted_{entity}", "ERROR") for entity in ("customers", "order_items", "orders")
    ], "and says so in each entity's check, once"
    # and the gate warns about the order lines held since that old day
    assert ("silver/held_order_items", "rows_held_over_7_days", "WARN") in outcome.failed_checks
    relative = rejected.file.relative_to(rejected.settings.landing_dir).as_posix()
    with connect(rejected.settings) as connection:
        rows = fetch_all(
            connection,
            "select line, problem from quality.rejected_files where file = %s and resolved_at is null",
            (relative,),
        )
        assert rows and rows[0][1], "file, line and problem are recorded"
        day = rejected.day.isoformat()
        (orders_that_day,) = fetch_all(
            connection, 'select count(*) from raw.orders where "date" = %s', (day,)
        )[0]
        (items_that_day,) = fetch_all(
            connection, 'select count(*) from raw.order_items where "date" = %s', (day,)
        )[0]
        (held,) = fetch_all(connection, "select count(*) from silver.held_order_items")[0]
        (items_in_silver,) = fetch_all(
            connection,
            "select count(*) from silver.order_items where order_id not in (select order_id from silver.orders)",
        )[0]
    assert orders_that_day == 0 and items_that_day > 0, (
        "the file is left out, the partition's other files load"
    )
    assert held > 0, "order lines of the rejected orders wait for their orders"
    assert items_in_silver == 0, "no line without its order reaches silver"


def test_the_summary_says_what_revenue_waits_on_which_file_and_exits_3(
    rejected: RejectedWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    report = summary.collect(rejected.settings)
    assert report.days_off, "gold's revenue is short of the truth while the files are rejected"
    assert report.days_unexplained == [], "and every day off is explained by a rejected file"
    waiting = {item.entity: item for item in report.waiting}
    assert set(waiting) == {"customers", "order_items", "orders"}
    relative = {path.relative_to(rejected.settings.landing_dir).as_posix() for path in rejected.originals}
    assert {f for item in report.waiting for f in item.files} == relative, "each names its rejected files"
    for entity in ("customers", "orders"):  # held rows: their value is known
        assert waiting[entity].orders > 0 and (waiting[entity].net_revenue or 0) > 0, entity
    # the lines are in the rejected files themselves: the orders without them are counted, the value unknown
    assert waiting["order_items"].orders > 0 and waiting["order_items"].net_revenue is None

    assert print_summary(rejected.settings) == FILES_REJECTED, "the exit code `emporium run` returns"
    printed = capsys.readouterr().out
    assert "all waiting on the rejected files above" in printed and "MISMATCH" not in printed
    assert f"{waiting['customers'].net_revenue:,.2f}" in printed


def test_resent_file_is_picked_up_and_a_cli_backfill_rebuilds_it(
    rejected: RejectedWorld, tiny_warehouse: Settings
) -> None:
    settings = rejected.settings
    assert (settings.dagster_home / LEDGER).exists()
    for path, original in rejected.originals.items():  # the partner re-sends the corrected files
        path.write_bytes(original)

    result = evaluate_sensor(settings)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    newest = max(get_instance(settings).get_dynamic_partitions(LANDING_DAY))
    # from the re-sent day to the newest: the later days were validated without it
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (rejected.day.isoformat(), newest)
    assert newest > rejected.day.isoformat()

    start, end = rejected.day, dt.date.fromisoformat(newest)  # the range the sensor asked for
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    command += ["-m", "orchestration.definitions", "--select", WAREHOUSE_CLI_SELECTION]
    command += ["--partition-range", f"{start}...{end}"]
    env = {**os.environ, **settings_env(settings)}
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run,) = get_instance(settings).get_runs(limit=1)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags[RANGE_START] == start.isoformat() and run.tags[RANGE_END] == end.isoformat()

    with connect(settings) as connection:
        open_rejections = fetch_all(
            connection, "select file from quality.rejected_files where resolved_at is null"
        )
        (held,) = fetch_all(connection, "select count(*) from silver.held_order_items")[0]
    assert open_rejections == [] and held == 0
    assert_same_warehouse(
        settings.warehouse_path,
        tiny_warehouse.warehouse_path,
        "equals a build that never saw the broken file",
    )
