"""A broken landing file does not stop the world: it is recorded and left out, the rest loads, its children
wait; when the corrected file is re-sent the sensor rebuilds that (old) partition and gold is whole again."""

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from orchestration.ingest import LEDGER
from orchestration.runner import RunOutcome
from tests.orchestration.test_automation import RANGE_END, RANGE_START, evaluate_sensor
from tests.support import build, gold_differences, settings_for


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
    days = sorted(p.name.removeprefix("date=") for p in (settings.landing_dir / "orders").iterdir())
    day = dt.date.fromisoformat(days[len(days) // 2])  # an old partition by the time it is re-sent
    file = settings.landing_dir / "orders" / f"date={day}" / f"orders_{day}.csv"
    original = file.read_bytes()
    file.write_bytes(original[: len(original) // 2].rstrip(b"\n"))  # a transfer cut off mid-file
    return RejectedWorld(settings, day, file, original, build(settings, full_refresh=True))


def test_broken_file_is_recorded_and_everything_else_loads(rejected: RejectedWorld) -> None:
    outcome = rejected.outcome
    assert outcome.success, "one broken file does not fail the run"
    assert outcome.failed_checks == [("raw/orders", "files_accepted", "ERROR")], "and says so in its check"
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


def test_resent_file_is_picked_up_and_its_partition_rebuilt(
    rejected: RejectedWorld, tiny_warehouse: Settings
) -> None:
    settings = rejected.settings
    assert (settings.dagster_home / LEDGER).exists()
    rejected.file.write_bytes(rejected.original)  # the partner re-sends the corrected file

    result = evaluate_sensor(settings)
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == (rejected.day.isoformat(),) * 2
    outcome = build(settings, full_refresh=False, window=(rejected.day, rejected.day))
    assert outcome.success and outcome.failed_checks == [], outcome.render()

    with connect(settings) as connection:
        (open_rejections,) = fetch_all(
            connection, "select count(*) from quality.rejected_files where resolved_at is null"
        )[0]
        (held,) = fetch_all(connection, "select count(*) from silver.held_order_items")[0]
    assert open_rejections == [] and held == 0
    differences = gold_differences(settings.warehouse_path, tiny_warehouse.warehouse_path)
    assert differences == dict.fromkeys(differences, 0), "gold equals a build that never saw the broken file"
