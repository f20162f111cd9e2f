"""A run killed with SIGKILL in the middle of silver: the next run needs no manual clean-up and gives the
same gold as an uninterrupted run."""

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
from tests.support import build, gold_differences, settings_for


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


@pytest.mark.slow
def test_sigkill_in_silver_then_rerun_gives_the_same_gold(tiny_warehouse: Settings, tmp_path: Path) -> None:
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
        time.sleep(3)  # well inside silver's dbt build
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED, "a killed run cannot report"

    outcome = build(settings, full_refresh=False)  # what `emporium run --skip-generate` does next
    assert outcome.success, outcome.render()
    assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE, "marked failed on the rerun"
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count == 0
    differences = gold_differences(settings.warehouse_path, tiny_warehouse.warehouse_path)
    assert differences == dict.fromkeys(differences, 0)
