"""A run killed with SIGKILL in the middle of silver: the next run needs no manual clean-up and writes the
same warehouse (every schema, snapshots and the ML marts included) as an uninterrupted run."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from emporium.config import PROJECT_ROOT, Settings, settings_env
from orchestration.instance import WAREHOUSE_POOL, get_instance
from tests.support import assert_same_warehouse, build, settings_for


def _wait_for_step(instance: dg.DagsterInstance, step: str, process: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before reaching the step"
        for run in instance.get_runs():
            starts = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            if any(event.step_key == step for event in starts):
                return run.run_id
        time.sleep(0.5)
    raise AssertionError(f"step {step} did not start within {timeout} s")


def _silver_materialised(instance: dg.DagsterInstance, run_id: str) -> int:
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    keys = [event.asset_materialization.asset_key for event in events if event.asset_materialization]
    return sum(1 for key in keys if key.path[0] == "silver")


def _wait_for_silver_model(instance: dg.DagsterInstance, run_id: str, process: subprocess.Popen) -> int:
    """Until dbt has written the first silver model of the run (dagster-dbt reports each as it finishes)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before silver wrote a model"
        if done := _silver_materialised(instance, run_id):
            return done
        time.sleep(0.2)
    raise AssertionError("no silver model was written within 300 s")


@pytest.mark.slow
def test_sigkill_in_silver_then_rerun_gives_the_same_warehouse(
    tiny_warehouse: Settings, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    shutil.copytree(tiny_warehouse.landing_dir, settings.landing_dir)
    instance = get_instance(settings)
    command = [str(Path(sys.executable).with_name("emporium")), "run", "--skip-generate", "--full-refresh"]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **settings_env(settings)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: dbt, its child, dies with it
    )
    try:
        killed = _wait_for_step(instance, "silver", process, timeout=600)
        _wait_for_silver_model(instance, killed, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED, "a killed run cannot report"
    built = get_instance(tiny_warehouse).get_asset_keys()  # the uninterrupted build's assets
    silver_models = len([key for key in built if key.path[0] == "silver"])
    assert 0 < _silver_materialised(instance, killed) < silver_models, "killed in the middle of silver"

    outcome = build(settings, full_refresh=False)  # what `emporium run --skip-generate` does next
    assert outcome.success, outcome.render()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE, "marked failed on the rerun"
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count == 0
    assert_same_warehouse(
        settings.warehouse_path,
        tiny_warehouse.warehouse_path,
        "the rerun writes what an uninterrupted run writes",
    )
