"""The landing sensor and the daily schedule, evaluated against a real instance and landing zone."""

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg

from emporium.config import Settings, settings_env
from generator.run import append
from orchestration.automation import _with_days_after_resends, daily_newest_partition, landing_files
from orchestration.ingest import LEDGER
from orchestration.instance import get_instance
from orchestration.partitions import LANDING_DAY
from orchestration.resources import EmporiumResource
from orchestration.runner import RunOutcome
from tests.support import settings_for

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def evaluate_sensor(settings: Settings, cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        instance=get_instance(settings),
        cursor=cursor,
        resources={"emporium": EmporiumResource(overrides=settings_env(settings))},
    )
    return landing_files(context)


def test_sensor_requests_nothing_when_the_warehouse_has_every_file(tiny_warehouse: Settings) -> None:
    result = evaluate_sensor(tiny_warehouse)
    assert isinstance(result, dg.SkipReason), result


def test_sensor_requests_the_new_day_and_then_nothing(tiny_warehouse: Settings, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    shutil.copytree(tiny_warehouse.landing_dir, settings.landing_dir)
    settings.dagster_home.mkdir(parents=True)
    shutil.copyfile(tiny_warehouse.dagster_home / LEDGER, settings.dagster_home / LEDGER)
    params = append(settings.landing_dir, 1, None)
    new_day = params.end_date.isoformat()

    result = evaluate_sensor(settings)
    assert isinstance(result, dg.SensorResult)
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in result.run_requests] == [(new_day, new_day)]
    (partitions_request,) = result.dynamic_partitions_requests
    assert partitions_request.partitions_def_name == LANDING_DAY
    assert list(partitions_request.partition_keys) == [new_day]
    # late rows of earlier days land in the new day's files, so that one partition covers them
    assert any((settings.landing_dir / "orders" / f"date={new_day}").iterdir())

    again = evaluate_sensor(settings, cursor=result.cursor)
    assert isinstance(again, dg.SkipReason), "the same files are not requested twice"


def test_schedule_requests_the_newest_partition(tiny_warehouse: Settings, tiny_run: RunOutcome) -> None:
    instance = get_instance(tiny_warehouse)
    newest = max(instance.get_dynamic_partitions(LANDING_DAY))
    assert newest == max(
        p.name.removeprefix("date=") for p in (tiny_warehouse.landing_dir / "orders").iterdir()
    )
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=dt.datetime(2026, 12, 2, 6, tzinfo=dt.UTC)
    )
    request = daily_newest_partition(context)
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == newest


def test_a_resent_old_file_widens_the_run_to_the_newest_day() -> None:
    partitions = {f"2025-03-0{d}" for d in range(1, 8)}
    day = dt.date.fromisoformat
    new_day_only = _with_days_after_resends([day("2025-03-07")], [], partitions)
    assert new_day_only == [day("2025-03-07")]
    resent = "customers/date=2025-03-03/customers_2025-03-03.parquet"
    widened = _with_days_after_resends([day("2025-03-03")], [resent], partitions)
    assert widened == [day(f"2025-03-0{d}") for d in range(3, 8)]
