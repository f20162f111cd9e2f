"""Latency from a landed file to gold updated, through the landing sensor, on a built warehouse.

    .venv/bin/python benchmarks/landing_latency.py [--data-dir data] [--days 1]

Takes a warehouse that `make run` built (default `data/`), lands the next day(s) with the generator's
`append` (what a partner's feed does), then does what `dagster dev` does: one tick of the `landing_files`
sensor and the run it requests, in this process. Reports, per appended day: files landed, the sensor tick,
the run per step, and the latency from the last file landed to gold's last materialisation. The daemon
ticks the sensor every 30 s, so a real deployment adds up to 30 s (15 s on average) of waiting; that is
reported on its own line. Results go to benchmarks/results/landing_latency.md.
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from emporium.config import PROJECT_ROOT, Settings, load_settings, settings_env
from generator.run import append
from orchestration.automation import SENSOR_INTERVAL_SECONDS, landing_files
from orchestration.instance import get_instance
from orchestration.resources import EmporiumResource
from orchestration.runner import materialize_warehouse

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "landing_latency.md"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "data")
    parser.add_argument("--days", type=int, default=1, help="days to append, one sensor tick + run each")
    args = parser.parse_args()
    settings = load_settings({**os.environ, "EMPORIUM_DATA_DIR": str(args.data_dir.resolve())})
    if not settings.warehouse_path.exists():
        print(f"{settings.warehouse_path}: no warehouse; run `make run` first", file=sys.stderr)
        return 1
    rows = []
    for _ in range(args.days):
        row = land_one_day(settings)
        rows.append(row)
        print(
            f"{row['day']}: {row['files']} files, latency {row['latency_s']:.1f} s (run {row['run_s']:.1f} s)"
        )
    _write(settings, rows)
    return 0


def land_one_day(settings: Settings) -> dict:
    """The next landing day, one sensor tick and the run(s) it requests; seconds of each part."""
    instance = get_instance(settings)
    resource = EmporiumResource(overrides=settings_env(settings))
    started = time.perf_counter()
    params = append(settings.landing_dir, 1, settings.seeds_dir)
    landed = time.perf_counter()
    files = list(settings.landing_dir.glob(f"*/date={params.end_date}/*"))

    context = dg.build_sensor_context(instance=instance, resources={"emporium": resource})
    result = landing_files(context)
    assert isinstance(result, dg.SensorResult), f"the sensor saw nothing new: {result}"
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    ticked = time.perf_counter()
    outcomes = []
    for request in result.run_requests:
        start = dt.date.fromisoformat(request.tags["dagster/asset_partition_range_start"])
        end = dt.date.fromisoformat(request.tags["dagster/asset_partition_range_end"])
        outcomes.append(materialize_warehouse(settings, window=(start, end), extra_tags=request.tags))
    done = time.perf_counter()
    assert all(o.success for o in outcomes), "\n".join(o.render() for o in outcomes)
    return {
        "day": params.end_date.isoformat(),
        "files": len(files),
        "append_s": landed - started,
        "sensor_s": ticked - landed,
        "runs": len(outcomes),
        "run_s": done - ticked,
        "latency_s": done - landed,
        "steps": step_seconds(instance, outcomes[-1].run_id),
    }


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    starts: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        if record.dagster_event is None or record.step_key is None:
            continue
        kind = record.dagster_event.event_type_value
        if kind == "STEP_START":
            starts[record.step_key] = record.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and record.step_key in starts:
            seconds[record.step_key] = record.timestamp - starts[record.step_key]
    return seconds


def _write(settings: Settings, rows: list[dict]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    world = json.loads((settings.truth_dir / "manifest.json").read_text(encoding="utf-8"))
    lines = [
        "# Landing latency: file landed -> gold updated, through the landing sensor",
        "",
        f"{dt.date.today()}, commit {commit.stdout.strip()}, {os.cpu_count()} cores, {platform.python_version()}, "
        f"load average at the end {os.getloadavg()[0]:.1f}; world: SF {world['scale']}, {world['days']} days, "
        f"seed {world['seed']}.",
        "",
        "`benchmarks/landing_latency.py`: `append` lands the next day, one sensor tick, the run it requests",
        "(raw load of that day, the dbt layers incremental for that partition, gates), all in-process.",
        "",
        "| landing day | files | append s | sensor tick s | run s | latency s (landed -> gold) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['day']} | {row['files']} | {row['append_s']:.1f} | {row['sensor_s']:.1f} | "
            f"{row['run_s']:.1f} | {row['latency_s']:.1f} |"
        )
    lines += [
        "",
        f"Under `dagster dev` the daemon ticks the sensor every {SENSOR_INTERVAL_SECONDS} s: add up to "
        f"{SENSOR_INTERVAL_SECONDS} s ({SENSOR_INTERVAL_SECONDS // 2} s on average) of waiting for the tick.",
        "",
        "Seconds per step of the last run:",
        "",
        "| step | s |",
        "|---|---:|",
        *(f"| {step} | {seconds:.1f} |" for step, seconds in rows[-1]["steps"].items()),
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
