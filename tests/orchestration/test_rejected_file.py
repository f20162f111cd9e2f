"""A broken landing file does not stop the world: it is recorded and left out, the rest loads, its children
wait. When the corrected file is re-sent, the sensor asks for that (old) partition, a two-day backfill from
the Dagster CLI rebuilds it, and gold equals a build that never saw the broken file."""

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
from orchestration.ingest import LEDGER
from orchestration.instance import get_instance
from orchestration.partitions import LANDING_DAY
from orchestration.runner import RunOutcome
from tests.ingest.build import pick_orders_file
from tests.orchestration.test_automation import RANGE_END, RANGE_START, evaluate_sensor
from tests.support import assert_same_warehouse, build, settings_for


@dataclass
class RejectedWorld:
    settings: Settings
    day: dt.date
    file: Path
    original: bytes
    outcome: RunOutcome


@pytest.fixture(scope="module")
def rejected(tiny_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> RejectedWorld:
    settings = settings_for(tmp_path_factory.mktemp("rejected"))
    shutil.copytree(tiny_warehouse.landing_dir, settings.landing_dir)
    relative = pick_orders_file(settings.landing_dir)  # an old day whose orders only land in this file
    file = settings.landing_dir / relative
    day = dt.date.fromisoformat(file.parent.name.removeprefix("date="))
    original = file.read_bytes()
    file.write_bytes(original[: len(original) // 2].rstrip(b"\n"))  # a transfer cut off mid-file
    return RejectedWorld(settings, day, file, original, build(settings, full_refresh=True))


def test_broken_file_is_recorded_and_everything_else_loads(rejected: RejectedWorld) -> None:
    outcome = rejected.outcome
    assert outcome.success, "one broken file does not fail the run"
    errors = [check for check in outcome.failed_checks if check[2] == "ERROR"]
    # the truth checks (error severity, blocking) leave out what the open rejection keeps from them
    assert errors == [("raw/shop", "files_accepted_orders", "ERROR")], "and says so in its check, once"
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


def test_resent_file_is_picked_up_and_a_cli_backfill_rebuilds_it(
    rejected: RejectedWorld, tiny_warehouse: Settings
) -> None:
    settings = rejected.settings
    assert (settings.dagster_home / LEDGER).exists()
    rejected.file.write_bytes(rejected.original)  # the partner re-sends the corrected file

    result = evaluate_sensor(settings)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    newest = max(get_instance(settings).get_dynamic_partitions(LANDING_DAY))
    # from the re-sent day to the newest: the later days were validated without it
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (rejected.day.isoformat(), newest)
    assert newest > rejected.day.isoformat()

    start, end = rejected.day, rejected.day + dt.timedelta(days=1)
    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    command += ["-m", "orchestration.definitions", "--select", "not group:landing"]
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
