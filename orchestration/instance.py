"""The Dagster instance under the data folder (DAGSTER_HOME), and recovery from runs that died.

One writer at a time: DuckDB allows a single writing process per warehouse file. Two mechanisms keep runs
from colliding on that lock, whoever launches them:
- every asset and check that opens the warehouse is in the pool `warehouse`, limited to 1 slot with op
  granularity, so steps of different runs (CLI, UI, sensor, schedule) never overlap;
- runs launched by the UI, sensors and schedules go through the queued run coordinator with at most one run
  in progress (`dagster dev` runs the daemon that dequeues them).
A run killed with SIGKILL keeps its pool slot and stays STARTED forever; `recover_dead_runs` marks such
runs failed and frees their slots before the next run starts (the daemon's run monitoring does the same
for runs it launched). A run the daemon launched (sensor, schedule, UI) whose worker died is launched once
more (run_retries, for crashes only: a failed step or blocking check would fail again, and is left for a
person or the next re-sent file); an in-process run (`emporium run`) is rerun by whoever started it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from emporium.config import Settings

if TYPE_CHECKING:  # Dagster takes seconds to import: only when an instance is asked for
    from dagster import DagsterInstance

WAREHOUSE_POOL = "warehouse"
PID_TAG = "emporium/pid"
HOST_TAG = "emporium/host"
NO_RETRY_TAGS = {"dagster/max_retries": "0"}  # in-process runs: their caller reruns them

DAGSTER_YAML = {
    "telemetry": {"enabled": False},
    "concurrency": {
        "pools": {"default_limit": 1, "granularity": "op"},
        "runs": {"max_concurrent_runs": 1},
    },
    "run_coordinator": {
        "module": "dagster.core.run_coordinator",
        "class": "QueuedRunCoordinator",
    },
    "run_monitoring": {"enabled": True, "start_timeout_seconds": 180, "poll_interval_seconds": 30},
    "run_retries": {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False},
    "code_servers": {"local_startup_timeout": 180},
}


# Dagster reads these from the environment of whichever process creates a run (this one, the daemon, the
# webserver): a run over a range of days then plans one event per asset instead of one per asset and day
# (the cost, from Dagster's docs of the variable: a failed range run does not mark its partitions failed);
# and no process uploads telemetry, even one started without the project's dagster.yaml.
DAGSTER_ENV = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true", "DAGSTER_DISABLE_TELEMETRY": "1"}


def configure_process() -> None:
    """Apply DAGSTER_ENV to this process (values already set win)."""
    for name, value in DAGSTER_ENV.items():
        os.environ.setdefault(name, value)


def prepare_home(settings: Settings) -> Path:
    """Create DAGSTER_HOME with the project's dagster.yaml (telemetry off, one writer)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = "# written by orchestration/instance.py; edit there\n" + yaml.safe_dump(
        DAGSTER_YAML, sort_keys=False
    )
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return home


def get_instance(settings: Settings) -> DagsterInstance:
    from dagster import DagsterInstance

    return DagsterInstance.from_config(str(prepare_home(settings)))


def run_tags() -> dict[str, str]:
    """Tags that let a later process tell whether this run's process is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is dead too
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every in-progress run whose process (tagged by `run_tags`) is gone, and free its pool
    slots. Runs of other hosts and runs without the tags (the daemon's) are left to run monitoring."""
    from dagster import DagsterRunStatus, RunsFilter

    in_progress = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    recovered = []
    for run in instance.get_runs(filters=RunsFilter(statuses=in_progress)):
        pid = run.tags.get(PID_TAG)
        if pid is None or run.tags.get(HOST_TAG) != socket.gethostname() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"process {pid} of this run is gone (killed?); marked failed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
    return recovered
