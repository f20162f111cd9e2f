"""A two-day backfill from the Dagster CLI equals a full build of the same landing zone."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from emporium.config import PROJECT_ROOT, Settings, settings_env
from generator.run import append
from orchestration.instance import get_instance
from orchestration.partitions import LANDING_DAY
from tests.orchestration.test_automation import evaluate_sensor
from tests.support import TINY, build, generate, gold_differences, settings_for


@pytest.mark.slow
def test_two_day_backfill_from_the_cli_equals_a_full_build(tiny_warehouse: Settings, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    generate(settings.landing_dir, tmp_path / "seeds", days=str(int(TINY["days"]) - 2))
    first = build(settings, full_refresh=True)
    assert first.success, first.render()
    params = append(settings.landing_dir, 2, tmp_path / "seeds")  # == the tiny world's last two days

    # the sensor registers the two new days as partitions (its run requests are not launched here)
    result = evaluate_sensor(settings)
    assert isinstance(result, dg.SensorResult)
    instance = get_instance(settings)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    start, end = params.date_of(params.days - 2), params.end_date
    assert {start.isoformat(), end.isoformat()} <= set(instance.get_dynamic_partitions(LANDING_DAY))

    command = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize"]
    command += ["-m", "orchestration.definitions", "--select", "not group:landing"]
    command += ["--partition-range", f"{start.isoformat()}...{end.isoformat()}"]
    done = subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **settings_env(settings)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    runs = instance.get_runs(limit=1)
    assert runs[0].tags["dagster/asset_partition_range_start"] == start.isoformat()

    differences = gold_differences(settings.warehouse_path, tiny_warehouse.warehouse_path)
    assert {"fct_orders", "fct_order_items", "mart_daily_revenue", "dim_customers"} <= differences.keys()
    assert differences == dict.fromkeys(differences, 0)
