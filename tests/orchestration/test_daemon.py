"""The real daemon path, as a user runs it: `emporium dev` (webserver + daemon) on a built world, the next
day lands with `emporium append`, the daemon's sensor asks for that day, the daemon launches the run, and
gold shows the new day."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from emporium.config import PROJECT_ROOT, Settings, settings_env
from orchestration.automation import TRIGGER_TAG
from orchestration.instance import get_instance
from tests.orchestration.test_automation import RANGE_END, RANGE_START
from tests.support import free_port, settings_for

# The sensor may look every 2 s here (30 s by default): the wait is then the start of `dagster dev` and the
# run itself, not the sensor's pause. Measured on two cores shared with other builds: 35 s until the daemon
# ticks, 80 s from the sensor's request to the run's start, a few minutes for the run; the bound leaves room.
SENSOR_INTERVAL = "2"
RUN_TIMEOUT = 600


def _newest_order_day(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (day,) = connection.execute("select max(order_date) from gold.fct_orders").fetchone()
    return day.isoformat()


def _sensor_run(instance: dg.DagsterInstance, dev: subprocess.Popen, log: Path) -> dg.DagsterRun:
    """The first run the landing sensor launched, once it has finished."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        assert dev.poll() is None, "emporium dev exited:\n" + log.read_text(errors="replace")[-3000:]
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/sensor_name": "landing_files"}))
        if runs and runs[-1].is_finished:
            return runs[-1]
        time.sleep(2)
    raise AssertionError(f"no run of the landing sensor finished within {RUN_TIMEOUT} s")


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(process: subprocess.Popen) -> None:
    """Stop `emporium dev` and everything it started (its own process group: dagster dev, the webserver,
    the daemon, the code servers, run workers): SIGTERM, then SIGKILL to whatever is left after 30 s."""
    for sig, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 30)):
        if _group_alive(process.pid):
            os.killpg(process.pid, sig)
        deadline = time.monotonic() + grace
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
    process.wait(timeout=5)
    assert not _group_alive(process.pid), "processes of emporium dev outlived SIGKILL"


@pytest.mark.slow
def test_dev_daemon_runs_the_sensors_request_for_an_appended_day(
    tiny_warehouse: Settings, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "data", EMPORIUM_SENSOR_INTERVAL_SECONDS=SENSOR_INTERVAL)
    # the built world: landing zone, warehouse, Dagster instance (its partitions and the raw load's ledger)
    shutil.copytree(tiny_warehouse.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("gx"))
    before = _newest_order_day(settings.warehouse_path)
    instance = get_instance(settings)
    env = {**os.environ, **settings_env(settings)}
    bin_dir = Path(sys.executable).parent
    log = tmp_path / "dev.log"
    with log.open("wb") as output:
        dev = subprocess.Popen(
            [str(bin_dir / "emporium"), "dev", "--port", str(free_port())],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group for all it starts: stopped together below
        )  # fmt: skip
    try:
        append = [str(bin_dir / "emporium"), "append", "--quiet", "--seeds-dir", str(tmp_path / "seeds")]
        appended = subprocess.run(append, env=env, capture_output=True, text=True, check=False, timeout=120)
        assert appended.returncode == 0, appended.stderr
        new_day = max(p.name.removeprefix("date=") for p in (settings.landing_dir / "orders").iterdir())
        assert new_day > before
        run = _sensor_run(instance, dev, log)
    finally:
        _stop(dev)

    assert run.status == dg.DagsterRunStatus.SUCCESS, run.status
    assert (run.tags[RANGE_START], run.tags[RANGE_END]) == (new_day, new_day), "the appended day, only"
    assert run.tags[TRIGGER_TAG] == "landing_files"
    assert _newest_order_day(settings.warehouse_path) == new_day, "gold holds the new day's orders"
