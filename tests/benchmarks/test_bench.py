"""`make bench` on a tiny world: the runner runs a stage in its own process, measures its process tree's peak
memory, writes bench.json and bench.md, and skips a stage already recorded for the same commit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from emporium.config import PROJECT_ROOT

BENCH = PROJECT_ROOT / "benchmarks" / "bench.py"


def _bench(*args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH), *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_tree_rss_counts_the_children() -> None:
    sys.path.insert(0, str(BENCH.parent))
    from bench import tree_rss

    # a parent whose child holds 200 MB: the tree's RSS must count the child's memory
    child = "b = bytearray(200 * 2**20); import time; time.sleep(30)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    process = subprocess.Popen([sys.executable, "-c", parent], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while tree_rss(process.pid) < 200 * 2**20 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tree_rss(process.pid) >= 200 * 2**20
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the session started here: the parent and its child
        process.wait()


def test_world_stage_is_recorded_then_skipped(tmp_path: Path) -> None:
    work, results = tmp_path / "work", tmp_path / "results"
    _bench("world-tiny", "--work-dir", str(work), "--results", str(results))
    record = json.loads((results / "bench.json").read_text())["stages"]["world-tiny"]
    assert record["result"]["landing_rows"] > 1000
    assert record["result"]["raw_rows"] == record["result"]["landing_rows"]
    assert 50 * 2**20 < record["peak_rss_bytes"] < 4 * 2**30
    assert record["machine"]["cpus"] >= 1 and record["commit"]
    table = (results / "bench.md").read_text()
    assert "| world-tiny |" in table and f"{record['result']['landing_rows']:,}" in table

    again = _bench("world-tiny", "--work-dir", str(work), "--results", str(results))
    assert "skipped" in again
    assert json.loads((results / "bench.json").read_text())["stages"]["world-tiny"]["date"] == record["date"]
