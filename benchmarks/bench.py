"""`make bench`: the benchmark suite, one stage at a time, resumable, with peak memory of each whole stage.

Usage: .venv/bin/python benchmarks/bench.py [STAGE ...] [--force] [--list] [--work-dir DIR] [--results DIR]

Without STAGE it runs DEFAULT (the stages named in `--list`; build-sf10-d365 only runs when named). Each stage
runs in a fresh process of its own; the runner samples the resident memory of that process and all of its
descendants (dbt, the Dagster step processes...) every SAMPLE_SECONDS and records the peak. A stage whose
record in `<results>/bench.json` has the same commit and parameters is skipped (resume after an interrupted
run); `--force` runs it again. After every stage `bench.json` and `bench.md` (machine, date, commit, load
average, the tables) are written again.

Stages:
- world-*: generate a world (generator.run.generate) and load it into raw (ingest.raw_load), no dbt: the
  landing rows and their throughput (the smoke test runs world-tiny);
- build-*: generate the world, then the full build through Dagster as `emporium run` does it
  (materialize_warehouse(full_refresh=True): raw load, the dbt layers with their tests as asset checks, the
  Great Expectations gates): seconds per step (layer, gate), per model (dbt's run_results.json, top 10),
  seconds per million landing rows; then one more day lands (generator.run.append) and the landing
  sensor's run builds it incrementally, as in benchmarks/landing_latency.py: its seconds against the full
  build's; build-pg-*: the same on a PostgreSQL server the stage starts (scripts/postgres.sh) and destroys,
  its processes counted in the peak; build-spark-*: the full build on a Spark cluster the stage starts
  (scripts/spark-cluster.sh; the child runs in .venv-spark, `make install-spark`), the master's, worker's
  (with its executors) and Connect server's memory counted in the peak;
- generator: benchmarks/generator_benchmark.py (the generator against naive Faker);
- orchestration-*: benchmarks/orchestration_probe.py (Dagster, dbt alone, the compiled SQL run directly),
  then benchmarks/orchestration_report.py.
The ML, causal, serving, drift and dashboards benchmarks stay separate scripts (see docs/performance.md).
Data goes under --work-dir (default EMPORIUM_BENCH_DIR or <tmp>/emporium-bench), one folder per world.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.5
SPARK_PYTHON = ROOT / ".venv-spark" / "bin" / "python"  # `make install-spark`: pyspark and dbt-spark
# The benchmark's cluster: one worker with both cores; more memory than the script's defaults (sized for the
# tiny world). The driver is the Connect server, whose heap the raw load's rows pass through: 2 GB ran out at
# SF 1 (docs/scaling.md).
SPARK_MEMORY = {"EMPORIUM_SPARK_WORKER_MEMORY": "5g", "EMPORIUM_SPARK_EXECUTOR_MEMORY": "4g",
                "EMPORIUM_SPARK_DRIVER_MEMORY": "8g"}  # fmt: skip
PROBE = "benchmarks/orchestration_probe.py"


@dataclass(frozen=True)
class Stage:
    name: str
    kind: str  # world | build | script
    params: dict[str, Any] = field(default_factory=dict)


def _world(name: str, scale: float, days: int, kind: str = "build", target: str = "duckdb") -> Stage:
    # the target is named only when it is not the default, so DuckDB records stay comparable across commits
    named = {"target": target} if target != "duckdb" else {}
    return Stage(name, kind, {"scale": scale, "days": days, "seed": 42} | named)


STAGES = {
    stage.name: stage
    for stage in (
        _world("world-tiny", 0.01, 30, kind="world"),
        Stage("generator", "script", {"command": ["benchmarks/generator_benchmark.py"]}),
        _world("build-sf0.1-d365", 0.1, 365),
        _world("build-sf1-d365", 1, 365),
        _world("build-sf1-d730", 1, 730),
        _world("build-sf10-d365", 10, 365),
        _world("build-pg-sf1-d365", 1, 365, target="postgres"),
        _world("build-spark-sf1-d365", 1, 365, target="spark"),
        Stage("orchestration-sf0.1-d365", "script", {"command": [PROBE, "--scale", "0.1", "--days", "365"]}),
    )
}
DEFAULT = ("generator", "build-sf0.1-d365", "build-sf1-d365", "build-sf1-d730", "orchestration-sf0.1-d365")


# --- the runner ---------------------------------------------------------------------------------------


def commit() -> str:
    """HEAD's short hash, with `+dirty` when tracked files differ from it (a stage then always reruns)."""
    run = {"cwd": ROOT, "capture_output": True, "text": True, "check": False}
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **run).stdout.strip()  # type: ignore[call-overload]
    # the results this runner writes are not code: a run resumed after a stage stays at its commit
    status = ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results"]
    dirty = subprocess.run(status, **run).stdout.strip()  # type: ignore[call-overload]
    return head + ("+dirty" if dirty else "")


def tree_rss(root_pid: int) -> int:
    """Resident bytes of a process and all of its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            resident = int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = resident * page
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_stage(stage: Stage, work: Path, log: Path) -> dict[str, Any]:
    """One stage in a fresh process; its result, wall seconds and the peak RSS of its process tree."""
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    if stage.kind == "script":
        command = [sys.executable, *stage.params["command"]]
    else:
        command = [_python(stage), __file__, "--child", stage.name, str(out), "--work-dir", str(work)]
    servers = log.with_suffix(".servers")  # a server the stage starts (Postgres, Spark) is not its descendant
    servers.unlink(missing_ok=True)
    peak = 0
    began, cpu = time.perf_counter(), _children_cpu()
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid) + sum(tree_rss(pid) for pid in _server_pids(servers)))
            time.sleep(SAMPLE_SECONDS)
    seconds, cpu = time.perf_counter() - began, _children_cpu() - cpu
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"stage {stage.name} failed (exit {process.returncode}), log {log}:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_bytes": peak, "result": result}


def _python(stage: Stage) -> str:
    """The interpreter of a stage's child: Spark's own environment for a Spark stage."""
    if stage.params.get("target") != "spark":
        return sys.executable
    if not SPARK_PYTHON.exists():
        raise SystemExit(
            f"stage {stage.name} needs the Spark environment {SPARK_PYTHON}: `make install-spark`"
        )
    return str(SPARK_PYTHON)


def _server_pids(servers: Path) -> list[int]:
    """The server processes a stage named in its `.servers` file (one PID file per line: postmaster.pid, or
    the Spark master's, worker's and Connect server's; a worker's executors are its descendants)."""
    pids = []
    for line in servers.read_text().splitlines() if servers.exists() else []:
        try:
            pids.append(int(Path(line).read_text().split()[0]))
        except (OSError, IndexError, ValueError):
            continue  # not started yet, or stopped
    return pids


def _children_cpu() -> float:
    """User + system seconds of the finished child processes (and the descendants they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict[str, Any]:
    memory = next(
        (int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
         if line.startswith("MemTotal:")), 0)  # fmt: skip
    return {"cpus": os.cpu_count(), "memory_bytes": memory, "python": platform.python_version(),
            "system": platform.platform(terse=True)}  # fmt: skip


def run(names: list[str], force: bool, work: Path, results: Path) -> dict[str, Any]:
    results.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    path = results / "bench.json"
    book = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"stages": {}}
    head = commit()
    for name in names:
        stage = STAGES[name]
        previous = book["stages"].get(name)
        if not force and previous and previous["commit"] == head and previous["params"] == stage.params:
            print(f"{name}: done at {head} ({previous['date']}), skipped (--force runs it again)", flush=True)
            continue
        print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
        load = os.getloadavg()[0]
        measured = run_stage(stage, work, work / f"{name}.log")
        book["stages"][name] = {
            "params": stage.params,
            "commit": head,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "load_average": [load, os.getloadavg()[0]],
            **measured,
        }
        print(
            f"{name}: {measured['seconds']:.1f} s, peak {measured['peak_rss_bytes'] / 2**30:.2f} GiB",
            flush=True,
        )
        path.write_text(json.dumps(book, indent=1, default=str) + "\n", encoding="utf-8")
        (results / "bench.md").write_text(render(book), encoding="utf-8")
    return book


# --- the stages' own work (in the child process) ------------------------------------------------------


def _settings(data: Path, landing: Path, seeds: Path, server: dict[str, str]) -> Any:
    from emporium.config import load_settings

    derived = ("EMPORIUM_WAREHOUSE_PATH", "DAGSTER_HOME", "DBT_TARGET_PATH", "MLFLOW_TRACKING_URI")
    env = {k: v for k, v in os.environ.items() if k not in derived}
    env |= {"EMPORIUM_DATA_DIR": str(data), "EMPORIUM_LANDING_DIR": str(landing), "EMPORIUM_SEEDS_DIR": str(seeds),
            "DBT_TARGET": "duckdb", "DBT_TARGET_PATH": str(data / "target")} | server  # fmt: skip
    os.environ.update(env)  # dbt, Dagster and the gates read the same locations
    return load_settings(env)


def _postgres(stage: Stage, work: Path) -> dict[str, str]:
    """A PostgreSQL server of the stage's own (scripts/postgres.sh, as the tests start one), its settings."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    # under /tmp, not the work folder: as root the server runs as the `postgres` user, which must reach it
    pg_dir = Path(tempfile.mkdtemp(prefix=f"emporium-{stage.name}-"))
    pg = {"EMPORIUM_PG_HOST": "127.0.0.1", "EMPORIUM_PG_PORT": port, "EMPORIUM_PG_USER": "emporium",
          "EMPORIUM_PG_PASSWORD": "", "EMPORIUM_PG_DATABASE": "emporium"}  # fmt: skip
    script = str(ROOT / "scripts" / "postgres.sh")
    env = {**os.environ, **pg, "EMPORIUM_PG_DIR": str(pg_dir)}
    atexit.register(subprocess.run, [script, "destroy"], env=env, capture_output=True, check=False)
    subprocess.run([script, "start"], env=env, check=True)
    (work / f"{stage.name}.servers").write_text(str(pg_dir / "cluster" / "postmaster.pid") + "\n")
    return pg | {"DBT_TARGET": "postgres"}


def _spark(stage: Stage, work: Path) -> dict[str, str]:
    """A Spark cluster of the stage's own (scripts/spark-cluster.sh, as the Spark test starts one), stopped at
    exit; the settings that point the `spark` target at it."""
    run_dir = work / f"{stage.name}-spark"
    shutil.rmtree(run_dir, ignore_errors=True)
    env = {**os.environ, "EMPORIUM_SPARK_DIR": str(run_dir), **SPARK_MEMORY}
    script = str(ROOT / "scripts" / "spark-cluster.sh")
    atexit.register(subprocess.run, [script, "stop"], env=env, capture_output=True, check=False)
    subprocess.run([script, "start"], env=env, check=True)
    pid_files = sorted((run_dir / "pids").glob("*.pid"))
    (work / f"{stage.name}.servers").write_text("".join(f"{path}\n" for path in pid_files))
    exports = (run_dir / "cluster.env").read_text(encoding="utf-8").split()
    values = dict(item.split("=", 1) for item in exports if "=" in item)
    return {"DBT_TARGET": "spark", "EMPORIUM_SPARK_REMOTE": values["EMPORIUM_SPARK_REMOTE"]}


SERVERS = {"postgres": _postgres, "spark": _spark}


def _generate(stage: Stage, world: Path) -> float:
    from generator.config import Params
    from generator.run import generate

    began = time.perf_counter()
    params = Params(seed=stage.params["seed"], scale=stage.params["scale"], days=stage.params["days"])
    generate(params, world / "landing", world / "seeds")
    return time.perf_counter() - began


def _raw_rows(settings: Any) -> int:
    from emporium.engine import connect, fetch_all, ident, list_tables

    with connect(settings) as connection:
        return sum(fetch_all(connection, f"select count(*) from raw.{ident(t)}")[0][0]
                   for t in list_tables(connection, "raw"))  # fmt: skip


def _fresh_world(stage: Stage, work: Path) -> tuple[Any, float]:
    """Settings of the stage's own world folder, generated afresh, and the seconds generating took."""
    world = work / stage.name
    shutil.rmtree(world, ignore_errors=True)
    generate_s = _generate(stage, world)
    target = stage.params.get("target")
    server = SERVERS[target](stage, work) if target in SERVERS else {}
    return _settings(world / "data", world / "landing", world / "seeds", server), generate_s


def world_stage(stage: Stage, work: Path) -> dict[str, Any]:
    from ingest.raw_load import load_raw

    settings, generate_s = _fresh_world(stage, work)
    began = time.perf_counter()
    report = load_raw(settings, None, run_id=f"bench-{stage.name}")
    load_s = time.perf_counter() - began
    rows = sum(report.rows.values())
    return {"generate_s": generate_s, "raw_load_s": load_s, "landing_rows": rows, "raw_rows": _raw_rows(settings),
            "rows_per_s": rows / (generate_s + load_s)}  # fmt: skip


def _models(settings: Any) -> dict[str, float]:
    """Seconds per dbt model, seed and snapshot of the last run, from each dbt op's run_results.json."""
    seconds: dict[str, float] = {}
    for path in sorted(settings.dbt_target_path.glob("*/run_results.json")):  # one folder per dbt op
        for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
            if result["unique_id"].split(".")[0] in ("model", "seed", "snapshot"):
                seconds[result["unique_id"].split(".")[-1]] = result["execution_time"]
    return seconds


def _incremental_day(settings: Any) -> dict[str, Any]:
    """One more landing day, the landing sensor's tick and the run it requests (benchmarks/landing_latency.py)."""
    from landing_latency import land_one_day

    row = land_one_day(settings)
    return {"run_s": row["run_s"], "latency_s": row["latency_s"], "steps": row["steps"],
            "models": _models(settings)}  # fmt: skip


def build_stage(stage: Stage, work: Path) -> dict[str, Any]:
    settings, generate_s = _fresh_world(stage, work)
    # imported once the stage's settings are in the environment: the code location loads the manifest of
    # the dbt target it finds there (Spark's has no snapshots)
    from landing_latency import step_seconds

    from orchestration.instance import get_instance
    from orchestration.runner import materialize_warehouse

    began = time.perf_counter()
    outcome = materialize_warehouse(settings, full_refresh=True)
    build_s = time.perf_counter() - began
    if not outcome.success:
        raise SystemExit(outcome.render())
    rows = _raw_rows(settings)
    steps = step_seconds(get_instance(settings), outcome.run_id)
    full = {"seconds": build_s, "steps": steps, "models": _models(settings)}
    result = {
        "generate_s": generate_s,
        "landing_rows": rows,
        "full": full | {"seconds_per_million_rows": build_s / rows * 1e6},
        "warehouse": str(settings.warehouse_path),
    }
    if stage.params.get("target") == "spark":
        return result  # the Spark row is the full build against DuckDB's (docs/scaling.md)
    incremental = _incremental_day(settings)
    return result | {"incremental": incremental | {"share_of_full": incremental["run_s"] / build_s}}


CHILDREN = {"world": world_stage, "build": build_stage}


# --- the report ---------------------------------------------------------------------------------------


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f}"


def _results(stages: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        n: r["result"] for n, r in stages.items() if n in STAGES and STAGES[n].kind == kind and r["result"]
    }


def render(book: dict[str, Any]) -> str:
    stages = book["stages"]
    lines = ["# Benchmarks (`make bench`)", "",
             "Written by `benchmarks/bench.py` from `bench.json`; one row per stage, its latest run. Wall seconds on "
             "the machine named per row (these runs: 2 cores shared with other jobs, so the load average is "
             "given), peak = resident memory of the stage's whole process tree.", "",
             "| stage | commit | date | cpus | load avg start/end | wall s | CPU s | peak GiB |",
             "|---|---|---|---:|---|---:|---:|---:|"]  # fmt: skip
    for name, record in stages.items():
        start, end = record["load_average"]
        cells = (name, record["commit"], record["date"], record["machine"]["cpus"], f"{start:.1f} / {end:.1f}",
                 f"{record['seconds']:.1f}", f"{record['cpu_seconds']:.1f}" if "cpu_seconds" in record else "",
                 _gib(record["peak_rss_bytes"]))  # fmt: skip
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    builds = _results(stages, "build")
    if builds:
        lines += ["", "## Full build through Dagster, and one appended day", "",
                  "| stage | landing rows | generate s | full build s | s per M rows | vs the first row | "
                  "one more day s | day / full |", "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        first = next(iter(builds.values()))["full"]["seconds_per_million_rows"]
        for name, r in builds.items():
            per_million = r["full"]["seconds_per_million_rows"]
            day = r.get("incremental")
            day_cells = f"{day['run_s']:.1f} | {day['share_of_full']:.1%} |" if day else "not measured | |"
            lines.append(f"| {name} | {r['landing_rows']:,} | {r['generate_s']:.1f} | {r['full']['seconds']:.1f} | "
                         f"{per_million:.1f} | {per_million / first:.2f}x | {day_cells}")  # fmt: skip
        for name, r in builds.items():
            lines += ["", f"### {name}: seconds per step (layers, gates) and the top 10 models", "",
                      "| step | full build s | one more day s |", "|---|---:|---:|"]  # fmt: skip
            day = r.get("incremental") or {"steps": {}, "models": {}}
            for step, seconds in sorted(r["full"]["steps"].items(), key=lambda kv: -kv[1]):
                lines.append(f"| {step} | {seconds:.1f} | {day['steps'].get(step, 0.0):.1f} |")
            lines += ["", "| model | full build s | one more day s |", "|---|---:|---:|"]
            top = sorted(r["full"]["models"].items(), key=lambda kv: -kv[1])[:10]
            lines += [f"| {m} | {s:.1f} | {day['models'].get(m, 0.0):.1f} |" for m, s in top]
    worlds = _results(stages, "world")
    if worlds:
        lines += ["", "## Worlds: generate and raw load (no dbt)", "",
                  "| stage | landing rows | generate s | raw load s | rows/s |",
                  "|---|---:|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {n} | {r['landing_rows']:,} | {r['generate_s']:.1f} | {r['raw_load_s']:.1f} | "
                  f"{r['rows_per_s']:,.0f} |" for n, r in worlds.items()]  # fmt: skip
    scripts = [n for n in stages if STAGES.get(n, Stage(n, "")).kind == "script"]
    if scripts:
        lines += ["", "Script stages write their own tables: " + ", ".join(
            f"{n} ({' '.join(STAGES[n].params['command'])})" for n in scripts) + "."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("stages", nargs="*", help=f"stages to run (default: {' '.join(DEFAULT)})")
    parser.add_argument("--force", action="store_true", help="run stages already recorded for this commit")
    parser.add_argument("--list", action="store_true", help="list the stages and exit")
    default_work = os.environ.get("EMPORIUM_BENCH_DIR") or str(Path(tempfile.gettempdir()) / "emporium-bench")
    parser.add_argument("--work-dir", type=Path, default=Path(default_work))
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT / "benchmarks"))  # landing_latency, a sibling script
        name, out = args.child
        stage = STAGES[name]
        result = CHILDREN[stage.kind](stage, args.work_dir.resolve())
        Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")
        return 0
    if args.list:
        for stage in STAGES.values():
            print(f"{stage.name}{' (default)' if stage.name in DEFAULT else ''}: {stage.kind} {stage.params}")
        return 0
    unknown = [n for n in args.stages if n not in STAGES]
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(unknown)}; --list shows them")
    run(args.stages or list(DEFAULT), args.force, args.work_dir.resolve(), args.results.resolve())
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
