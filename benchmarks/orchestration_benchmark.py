"""Orchestration overhead: the pipeline through Dagster against the same SQL run directly in one DuckDB connection.

Usage: .venv/bin/python benchmarks/orchestration_benchmark.py [--scale 1] [--days 730] [--seed 42]
       [--work-dir DIR] [--skip-generate]
Adds this scale's run to benchmarks/results/orchestration.json and rewrites orchestration.md from every run
recorded there (so SF 0.1 and SF 1 sit side by side). Data stays under --work-dir (default: a folder under
the system temp dir, named after scale, days and seed, so --skip-generate finds the landing zone again).

One invocation, each part in a fresh process of its own:
1. the world: generator.run.generate into <work>/landing (timed; seeds into <work>/seeds, not the repository);
2. the definitions load: `import orchestration.definitions` (Dagster, dagster-dbt, the manifest check) and,
   on its own line, a cold `dbt parse` (what prepare_manifest pays when a dbt input has changed);
3. Dagster: orchestration.runner.materialize_warehouse(settings, full_refresh=True) on a fresh data folder
   over that landing zone. Its wall time is split with the run's event log (step start/success per step
   key), dbt's run_results.json of every dbt op (per-node times) and timestamps taken in that process around
   the raw load, the GX gates and each dbt subprocess (launch, dbt's own JSON log events, exit);
4. direct: a second fresh warehouse, the raw load through the same Python API, then the same SQL in one
   DuckDB connection: the statements of a `dbt compile` of the project (same vars, --full-refresh; the
   compile is not timed and has its own line): on-run-start hooks, seeds (read_csv of seeds/*.csv), every
   model as `create or replace table ... as (<compiled sql>)` in dependency order (incremental models as
   full builds), snapshots as their select plus the SCD2 columns, then every dbt data test the Dagster run
   ran as `select <fail_calc> from (<compiled test sql>)`. Gold and ml row counts must equal the Dagster
   warehouse's (asserted); test failure counts are compared too.

Overhead ratio = Dagster total (definitions load + the whole in-process run) / direct total (raw load +
truth load + statements), and the same without the GX gates. Timings are wall seconds on a shared machine:
the load average at start and end is recorded with them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import graphlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
GOAL = 1.3
DBT_STEPS = ("seeds", "bronze", "silver", "snapshots", "gold")
GATED = ("bronze", "silver", "gold")
BUILT = ("seed", "model", "snapshot")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system) of this process, or of its waited-for children and their children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _epoch(ts: str) -> float:
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def _env(data_dir: Path, landing: Path, seeds: Path) -> dict[str, str]:
    """The process environment for one side: every path under its own data folder (as tests/support.py)."""
    derived = ("EMPORIUM_WAREHOUSE_PATH", "DAGSTER_HOME", "EMPORIUM_LANDING_DIR", "DBT_TARGET_PATH")
    env = {k: v for k, v in os.environ.items() if k not in derived}
    env |= {
        "EMPORIUM_DATA_DIR": str(data_dir),
        "EMPORIUM_LANDING_DIR": str(landing),
        "EMPORIUM_SEEDS_DIR": str(seeds),
        "DBT_TARGET": "duckdb",
        "DBT_TARGET_PATH": str(data_dir / "target"),
        "DBT_SEND_ANONYMOUS_STATISTICS": "false",
        "DO_NOT_TRACK": "1",
    }
    return env


def table_counts(warehouse: Path) -> dict[str, int]:
    """schema.table -> rows, for every base table of a DuckDB warehouse."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


# --- child processes -------------------------------------------------------------------------------


def generate_child(spec: dict[str, Any]) -> dict[str, Any]:
    from generator.config import Params
    from generator.run import generate

    began = time.perf_counter()
    params = Params(seed=spec["seed"], scale=spec["scale"], days=spec["days"])
    generate(params, Path(spec["landing"]), Path(spec["seeds"]))
    return {"seconds": time.perf_counter() - began}


def definitions_child(spec: dict[str, Any]) -> dict[str, Any]:
    """The cost of loading the code location in a fresh process, as `emporium run` or the UI pays it."""
    began = time.perf_counter()
    import dagster  # noqa: F401
    import dagster_dbt  # noqa: F401

    libraries = time.perf_counter() - began
    manifest = ROOT / "target" / "dagster-manifest" / "manifest.json"
    before = manifest.stat().st_mtime if manifest.exists() else None
    import orchestration.definitions  # noqa: F401  (prepare_manifest, @dbt_assets, the gates' suites)

    total = time.perf_counter() - began
    after = manifest.stat().st_mtime if manifest.exists() else None
    return {"seconds": total, "libraries_seconds": libraries, "manifest_reparsed": before != after}


class _Probe:
    """Timestamps taken inside the Dagster process around what each step delegates: the raw and truth
    loads, the GX gates, and every dbt subprocess (dagster-dbt set-up, launch, dbt's JSON log, exit)."""

    def __init__(self) -> None:
        self.work: dict[str, dict[str, Any]] = {}  # step key -> {start, end, ...}
        self.dbt: dict[str, dict[str, Any]] = {}  # op name -> timings of its dbt invocation
        self.setup: dict[str, float] = {}  # run set-up phase -> seconds (before the first step)

    def install(self) -> None:
        import dagster as dg
        import dagster_dbt.core.dbt_cli_invocation as invocation_module
        from dagster_dbt import DbtCliResource

        import ingest.raw_load
        import orchestration.definitions
        import orchestration.runner
        import quality.gates

        probe = self
        for module, name in (
            (orchestration.runner, "get_instance"),
            (orchestration.runner, "recover_dead_runs"),
            (orchestration.runner, "register_days"),
            (orchestration.runner, "landing_days_present"),
            (orchestration.definitions, "build_definitions"),
            (dg.Definitions, "resolve_asset_graph"),
            (dg.Definitions, "resolve_implicit_global_asset_job_def"),
        ):
            setattr(module, name, self._clocked(getattr(module, name), name))
        execute = dg.JobDefinition.execute_in_process

        def timed_execute(job: Any, *args: Any, **kwargs: Any) -> Any:
            probe.setup["execute_in_process called"] = time.time()
            return execute(job, *args, **kwargs)

        dg.JobDefinition.execute_in_process = timed_execute  # type: ignore[method-assign]
        ingest.raw_load.load_raw = self._timed(ingest.raw_load.load_raw, lambda *a, **k: "load_raw")
        ingest.raw_load.load_truth = self._timed(ingest.raw_load.load_truth, lambda *a, **k: "load_truth")
        quality.gates.run_gate = self._timed(
            quality.gates.run_gate, lambda s, layer, *a, **k: f"{layer}_gate"
        )

        cli = DbtCliResource.cli

        def timed_cli(resource: Any, args: Any, *rest: Any, **kwargs: Any) -> Any:
            called = time.time()
            invocation = cli(resource, args, *rest, **kwargs)
            probe.dbt[invocation.target_path.name]["cli_called"] = called
            return invocation

        DbtCliResource.cli = timed_cli  # type: ignore[method-assign]

        run = invocation_module.DbtCliInvocation.run.__func__  # type: ignore[attr-defined]

        def timed_run(cls: Any, *args: Any, **kwargs: Any) -> Any:
            launched = time.time()
            invocation = run(cls, *args, **kwargs)
            command = [str(a) for a in kwargs.get("args", args[0] if args else [])]
            probe.dbt[invocation.target_path.name] = {"launched": launched, "events": {}, "args": command}
            return invocation

        invocation_module.DbtCliInvocation.run = classmethod(timed_run)  # type: ignore[method-assign]
        stream = invocation_module.DbtCliInvocation.stream_raw_events

        def timed_stream(invocation: Any) -> Iterator[Any]:
            record = probe.dbt[invocation.target_path.name]
            events: dict[str, list[Any]] = record["events"]  # name -> [first ts, last ts, count]
            try:
                for event in stream(invocation):
                    info = event.raw_event["info"]
                    seen = events.setdefault(info["name"], [info["ts"], info["ts"], 0])
                    seen[1], seen[2] = info["ts"], seen[2] + 1
                    yield event
            finally:
                record["exited"] = time.time()

        invocation_module.DbtCliInvocation.stream_raw_events = timed_stream  # type: ignore[method-assign]

    def _clocked(self, func: Any, name: str) -> Any:
        def clocked(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.setup[name] = self.setup.get(name, 0.0) + time.perf_counter() - began

        return clocked

    def _timed(self, func: Any, key: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            record = {"start": time.time()}
            self.work[key(*args, **kwargs)] = record
            cpu = _cpu()
            try:
                result = func(*args, **kwargs)
            finally:
                record["end"], record["cpu"] = time.time(), _cpu() - cpu
            inner = getattr(result, "seconds", None)  # GateResult / LoadReport: their own measure
            if isinstance(inner, int | float):
                record["inner_seconds"] = inner
            return result

        return timed


def dagster_child(spec: dict[str, Any]) -> dict[str, Any]:
    began = time.perf_counter()
    import orchestration.definitions  # noqa: F401
    from orchestration.instance import get_instance
    from orchestration.runner import materialize_warehouse

    import_seconds = time.perf_counter() - began
    from emporium.config import load_settings

    settings = load_settings()
    probe = _Probe()
    probe.install()
    started, cpu = time.time(), _cpu()
    outcome = materialize_warehouse(settings, full_refresh=True)
    finished = time.time()
    cpu = {"run_in_process": _cpu() - cpu, "dbt_subprocesses": _cpu(resource.RUSAGE_CHILDREN)}
    print(outcome.render(), flush=True)
    steps: dict[str, dict[str, float]] = {}
    run_events: dict[str, float] = {}
    event_counts: dict[str, dict[str, int]] = {}  # step key -> event type -> count
    for entry in get_instance(settings).all_logs(outcome.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type_value
        per_step = event_counts.setdefault(entry.step_key or "(run)", {})
        per_step[kind] = per_step.get(kind, 0) + 1
        if kind in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE") and entry.step_key:
            steps.setdefault(entry.step_key, {})["start" if kind == "STEP_START" else "end"] = entry.timestamp
        elif kind.startswith(("RUN_", "PIPELINE_")):  # RUN_START's value is still "PIPELINE_START"
            run_events[kind.replace("PIPELINE_", "RUN_")] = entry.timestamp
    run_results = {}
    for op in DBT_STEPS:
        path = settings.dbt_target_path / op / "run_results.json"
        if path.exists():
            run_results[op] = json.loads(path.read_text(encoding="utf-8"))
    return {
        "success": outcome.success,
        "cpu": cpu,
        "failed_steps": outcome.failed_steps,
        "failed_checks": outcome.failed_checks,
        "materialized": len(outcome.materialized),
        "import_seconds": import_seconds,
        "started": started,
        "finished": finished,
        "steps": steps,
        "run_events": run_events,
        "event_counts": event_counts,
        "setup": probe.setup,
        "work": probe.work,
        "dbt": probe.dbt,
        "run_results": run_results,
        "counts": table_counts(settings.warehouse_path),
    }


def direct_child(spec: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    from emporium.config import load_settings
    from ingest.raw_load import load_raw, load_truth

    settings = load_settings()
    timings: dict[str, float] = {}
    began, cpu = time.perf_counter(), _cpu()
    report = load_raw(settings, None, run_id="orchestration-benchmark")
    timings["raw_load"], timings["raw_load_cpu"] = time.perf_counter() - began, _cpu() - cpu
    began, cpu = time.perf_counter(), _cpu()
    load_truth(settings)
    timings["truth_load"], timings["truth_load_cpu"] = time.perf_counter() - began, _cpu() - cpu
    if spec.get("copy_raw_to"):  # the raw warehouse for the dbt-alone side (not timed)
        shutil.copyfile(settings.warehouse_path, spec["copy_raw_to"])
    plan = json.loads(Path(spec["plan"]).read_text(encoding="utf-8"))
    statements: list[dict[str, Any]] = []
    tests: dict[str, dict[str, Any]] = {}
    cpu = _cpu()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        for item in plan["build"]:
            began = time.perf_counter()
            con.execute(item["sql"])
            statements.append(
                {**{k: item[k] for k in ("id", "kind")}, "seconds": time.perf_counter() - began}
            )
        for item in plan["tests"]:
            began = time.perf_counter()
            failures = con.execute(item["sql"]).fetchone()[0]
            tests[item["id"]] = {"seconds": time.perf_counter() - began, "failures": failures}
    timings["statements_cpu"] = _cpu() - cpu
    return {
        **timings,
        "raw_rows": sum(report.rows.values()),
        "rejected_files": len(report.rejected),
        "statements": statements,
        "tests": tests,
        "counts": table_counts(settings.warehouse_path),
    }


CHILDREN = {
    "generate": generate_child,
    "definitions": definitions_child,
    "dagster": dagster_child,
    "direct": direct_child,
}


# --- parent --------------------------------------------------------------------------------------


def _child(kind: str, spec: dict[str, Any], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one part in a fresh interpreter; its output goes to `log`, its result comes back as JSON."""
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    began, launched, cpu = time.perf_counter(), time.time(), _cpu(resource.RUSAGE_CHILDREN)
    with log.open("w") as handle:
        done = subprocess.run(
            [sys.executable, __file__, "--child", kind, json.dumps(spec), str(out)],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{kind} child failed (exit {done.returncode}), log {log}:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["process_seconds"], result["launched"] = time.perf_counter() - began, launched
    result["process_cpu"] = _cpu(resource.RUSAGE_CHILDREN) - cpu  # incl. its own subprocesses
    return result


def _timed_command(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one command."""
    began, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    with log.open("w") as handle:
        subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - began, _cpu(resource.RUSAGE_CHILDREN) - cpu


def _dbt(*args: str) -> list[str]:
    from emporium.dbt import dbt_executable

    return [dbt_executable(), *args, "--profiles-dir", str(ROOT / "profiles")]


def startup_costs(work: Path, env: dict[str, str]) -> dict[str, dict[str, float]]:
    """Process start-up as this environment runs it (PYTHONDONTWRITEBYTECODE=1 here: every process compiles
    every module it imports) against Python's default, a bytecode cache (in a private folder, warmed first)."""
    plain = env | {"PYTHONDONTWRITEBYTECODE": "1"}
    cached = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    log = work / "startup.log"
    costs = {}
    for label, variant in (("no bytecode cache", plain), ("bytecode cached", cached)):
        if variant is cached:  # fill the cache
            _timed_command(_dbt("--version")[:2], variant, log)
            _child("definitions", {}, variant, log)
        costs[label] = {
            "dbt --version": _timed_command(_dbt("--version")[:2], variant, log)[0],
            "definitions load": _child("definitions", {}, variant, log)["process_seconds"],
        }
    return costs


def compile_project(work: Path, landing: Path, seeds: Path, window: tuple[str, str]) -> tuple[float, Path]:
    """`dbt compile` with the vars and flags the Dagster run gives dbt, against an empty scratch warehouse
    whose file name matches the real ones (the compiled SQL names the database after the file)."""
    scratch = work / "compile"
    shutil.rmtree(scratch, ignore_errors=True)
    env = _env(scratch, landing, seeds)
    env["EMPORIUM_WAREHOUSE_PATH"] = str(scratch / "warehouse.duckdb")
    env["DBT_LOG_PATH"] = str(scratch / "logs")
    scratch.mkdir(parents=True)
    variables = json.dumps({"landing_start": window[0], "landing_end": window[1]})
    command = _dbt("compile", "--full-refresh", "--vars", variables, "--target-path", str(scratch / "target"))
    seconds, _ = _timed_command(command, env, scratch / "compile.log")
    return seconds, scratch / "target"


def _compiled_sql(node: dict[str, Any]) -> str:
    path = node.get("compiled_path")
    if path and Path(path).is_file():
        return Path(path).read_text(encoding="utf-8")
    return node["compiled_code"]


def _seed_sql(node: dict[str, Any]) -> str:
    path = (ROOT / node["original_file_path"]).as_posix().replace("'", "''")
    types = node["config"].get("column_types") or {}
    typed = ", ".join(f"'{column}': '{kind}'" for column, kind in types.items())
    options = f", types = {{{typed}}}" if typed else ""
    return f"select * from read_csv('{path}', header = true{options})"


def _snapshot_sql(node: dict[str, Any], sql: str) -> str:
    """A first snapshot run: every row valid from its updated_at, with dbt's SCD2 columns."""
    config = node["config"]
    key, updated = config["unique_key"], config["updated_at"]
    scd_id = f"md5(coalesce(cast({key} as varchar), '') || '|' || coalesce(cast({updated} as varchar), ''))"
    return (
        f"select *, {scd_id} as dbt_scd_id, {updated} as dbt_updated_at, {updated} as dbt_valid_from, "
        f"cast(null as timestamp) as dbt_valid_to from (\n{sql}\n) as snapshot_query"
    )


def build_plan(target: Path, tests_ran: set[str] | None) -> dict[str, Any]:
    """The statements of the direct side, from the compile's manifest and target/compiled files."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    build: list[dict[str, Any]] = []
    hooks = sorted(
        (n for n in nodes.values() if n["resource_type"] == "operation" and "on-run-start" in n["name"]),
        key=lambda n: n["index"] if n.get("index") is not None else n["name"],
    )
    schemas = sorted({(n["database"], n["schema"]) for n in nodes.values() if n["resource_type"] in BUILT})
    setup = ";\n".join(
        [
            *(_compiled_sql(h).strip().rstrip(";") for h in hooks),
            *(f'create schema if not exists "{d}"."{s}"' for d, s in schemas),
        ]
    )
    build.append({"id": "on-run-start hooks + schemas", "kind": "setup", "sql": setup})
    graph = {
        uid: [
            p
            for p in n.get("depends_on", {}).get("nodes", [])
            if nodes.get(p, {}).get("resource_type") in BUILT
        ]
        for uid, n in nodes.items()
        if n["resource_type"] in BUILT and n["config"].get("enabled", True)
    }
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        for uid in ready:
            node = nodes[uid]
            kind, relation = node["resource_type"], node["relation_name"]
            if kind == "seed":
                select = _seed_sql(node)
            elif kind == "snapshot":
                select = _snapshot_sql(node, _compiled_sql(node))
            elif node["config"]["materialized"] in ("table", "incremental"):
                select = _compiled_sql(node)
            else:
                raise ValueError(f"{uid}: materialization {node['config']['materialized']} not handled")
            build.append(
                {"id": uid, "kind": kind, "sql": f"create or replace table {relation} as (\n{select}\n)"}
            )
        sorter.done(*ready)
    tests = []
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] != "test" or (tests_ran is not None and uid not in tests_ran):
            continue
        fail_calc = node["config"].get("fail_calc") or "count(*)"
        sql = f"select {fail_calc} as failures from (\n{_compiled_sql(node)}\n) as dbt_internal_test"
        tests.append({"id": uid, "sql": sql})
    return {"build": build, "tests": tests}


def dbt_alone(work: Path, landing: Path, seeds: Path, dbt: dict[str, Any]) -> dict[str, Any]:
    """The dbt commands of the Dagster run, in its order, as plain subprocesses (output to a file, as a
    `dbt build` in a terminal) on a copy of the direct side's raw warehouse: dbt's own cost, without
    Dagster reading its event stream."""
    from emporium.config import dbt_env, load_settings

    alone = work / "alone"
    settings = load_settings(_env(alone, landing, seeds))
    ops: dict[str, dict[str, Any]] = {}
    for op, probe in sorted(dbt.items(), key=lambda kv: kv[1]["launched"]):
        target = alone / "target" / op
        env = dbt_env(settings) | {"DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
        command = [_dbt()[0], *probe["args"][1:]]
        target.mkdir(parents=True, exist_ok=True)
        wall, cpu = _timed_command(command, env, target / "stdout.log")
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
        sums = {"models": 0.0, "tests": 0.0, "unit_tests": 0.0}
        starts, ends = [], []
        for r in results:
            kind = _kind(r["unique_id"])
            sums["tests" if kind == "test" else "unit_tests" if kind == "unit_test" else "models"] += r[
                "execution_time"
            ]
            stamps = [t for t in r.get("timing", []) if t.get("started_at") and t.get("completed_at")]
            starts += [_epoch(t["started_at"]) for t in stamps]
            ends += [_epoch(t["completed_at"]) for t in stamps]
        span = max(ends) - min(starts) if starts else 0.0
        sums, _, _ = _wall_shares(sums, span)
        ops[op] = {
            **sums,
            "process": wall,
            "cpu": cpu,
            "node_span": span,
            "overhead": wall - sum(sums.values()),
        }
    keys = ("models", "tests", "unit_tests", "process", "overhead", "cpu")
    total = {k: sum(o[k] for o in ops.values()) for k in keys}
    return {"ops": ops, **total}


def _landing_window(landing: Path) -> tuple[str, str]:
    days = sorted(p.name.split("=", 1)[1] for p in landing.glob("*/date=*"))
    if not days:
        raise SystemExit(f"{landing}: no landing partitions; generate first (drop --skip-generate)")
    return days[0], days[-1]


def _world_rows(landing: Path) -> dict[str, int]:
    with (landing / "_truth" / "row_counts.csv").open(newline="") as handle:
        return {r["entity"]: int(r["raw_rows"]) for r in csv.DictReader(handle)}


def _kind(uid: str) -> str:
    return uid.split(".", 1)[0]


def _wall_shares(sums: dict[str, float], span: float) -> tuple[dict[str, float], float, float]:
    """dbt's per-node times as shares of the wall time its nodes ran in. With 2 threads two nodes run at
    once (and each runs slower, sharing 2 cores), so per-node times add up to more than that wall time:
    scale them down to it. Returns (wall per group, gaps with no node running, node time run in parallel)."""
    nodes = sum(sums.values())
    factor = min(1.0, span / nodes) if nodes > 0 and span > 0 else 1.0
    walls = {k: v * factor for k, v in sums.items()}
    return walls, max(0.0, span - nodes), nodes - nodes * factor


def analyse_dagster(result: dict[str, Any]) -> dict[str, Any]:
    """Split the run's wall time into what the steps delegate and what Dagster itself spends."""
    steps, work, dbt = result["steps"], result["work"], result["dbt"]
    wall = result["finished"] - result["started"]
    node_seconds = {"seed": 0.0, "model": 0.0, "snapshot": 0.0, "test": 0.0, "unit_test": 0.0}
    walls = {"models": 0.0, "tests": 0.0, "unit_tests": 0.0}  # per-node times scaled to the nodes' wall time
    per_node: dict[str, float] = {}
    op_nodes: dict[str, list[str]] = {}
    test_failures: dict[str, int] = {}
    dbt_steps: dict[str, dict[str, float]] = {}
    parts = {k: 0.0 for k in ("start-up", "parse", "pre-run", "in-run", "wrap-up", "set-up", "parallel")}
    node_compile = {"models": 0.0, "tests": 0.0, "unit_tests": 0.0}  # dbt's per-node compile (Jinja, refs)
    for op, run_results in result["run_results"].items():
        sums = {"models": 0.0, "tests": 0.0, "unit_tests": 0.0}
        op_nodes[op] = [r["unique_id"] for r in run_results["results"]]
        for r in run_results["results"]:
            kind = _kind(r["unique_id"])
            group = "tests" if kind == "test" else "unit_tests" if kind == "unit_test" else "models"
            for timing in r.get("timing", []):
                if timing["name"] == "compile" and timing.get("started_at") and timing.get("completed_at"):
                    node_compile[group] += _epoch(timing["completed_at"]) - _epoch(timing["started_at"])
            node_seconds[kind] = node_seconds.get(kind, 0.0) + r["execution_time"]
            per_node[r["unique_id"]] = r["execution_time"]
            if kind == "test":
                test_failures[r["unique_id"]] = r.get("failures") or 0
            sums[group] += r["execution_time"]
        probe = dbt.get(op, {})
        events = probe.get("events", {})
        launched, exited = probe.get("launched"), probe.get("exited")
        process = exited - launched if launched and exited else 0.0
        nodes = sum(sums.values())
        row = {**sums, "process": process, "overhead": process - nodes}
        shares, gaps, parallel = dict(sums), 0.0, 0.0
        if events and launched:
            first = min(_epoch(v[0]) for v in events.values())
            # dbt's info-level JSON log: FoundStats ends the parse, LogStartLine starts each node,
            # FinishedRunningStats follows the last node (the debug-level NodeStart/NodeFinished are not sent)
            found = _epoch(events["FoundStats"][0]) if "FoundStats" in events else first
            node_start = _epoch(events["LogStartLine"][0]) if "LogStartLine" in events else found
            ended = events.get("FinishedRunningStats", events.get("EndOfRunSummary"))
            node_end = _epoch(ended[0]) if ended else node_start
            if "LogHookStartLine" in events and "LogHookEndLine" in events:
                row["hooks"] = _epoch(events["LogHookEndLine"][1]) - _epoch(events["LogHookStartLine"][0])
            shares, gaps, parallel = _wall_shares(sums, node_end - node_start)
            row |= {
                "start-up": first - launched,  # interpreter, dbt imports, flags, profile
                "parse": found - first,  # the project parse (no partial_parse.msgpack in a fresh target)
                "pre-run": node_start - found,  # adapter, relation cache, on-run-start hooks
                "in-run": gaps,  # moments with no node running (scheduling, result handling)
                "wrap-up": exited - node_end,  # run_results, manifest, exit
                "parallel": parallel,  # node time that ran alongside another node (2 threads)
                "node_span": node_end - node_start,
                "full_parse": "UnableToPartialParse" in events or "PartialParsingNotEnabled" in events,
            }
            for key in ("start-up", "parse", "pre-run", "in-run", "wrap-up", "parallel"):
                parts[key] += row[key]
        row |= {f"{k}_wall": v for k, v in shares.items()}
        row["overhead"] = process - sum(shares.values())
        for key, value in shares.items():
            walls[key] += value
        if probe.get("cli_called") and launched:
            row["set-up"] = launched - probe["cli_called"]  # dagster-dbt: dbt --version, in-process adapter
            parts["set-up"] += row["set-up"]
        dbt_steps[op] = row
    gates = {}
    for layer in GATED:
        record = work.get(f"{layer}_gate")
        if record:
            seconds = record["end"] - record["start"]
            inner = record.get("inner_seconds", seconds)
            gates[layer] = {"seconds": seconds, "validation": inner, "set-up": seconds - inner}
        elif f"{layer}_gate" in steps:  # not seen by the probe: count the whole step
            step = steps[f"{layer}_gate"]
            gates[layer] = {"seconds": step["end"] - step["start"], "validation": None, "set-up": None}
    delegated: dict[str, float] = {}
    work_step: dict[str, str] = {}  # probe record (load_raw, load_truth, <layer>_gate) -> the step it ran in
    for key, step in steps.items():
        if key in dbt_steps:
            delegated[key] = dbt_steps[key]["process"]
            continue
        inside = [
            name
            for name, w in work.items()
            if step.get("start", 0.0) <= w["start"] and w["end"] <= step.get("end", step.get("start", 0.0))
        ]
        work_step |= {name: key for name in inside}
        delegated[key] = sum(work[name]["end"] - work[name]["start"] for name in inside)
    ordered = sorted(steps.items(), key=lambda kv: kv[1].get("start", 0.0))
    step_table = {
        key: {
            "wall": step.get("end", step.get("start", 0.0)) - step.get("start", 0.0),
            "delegated": delegated[key],
        }
        for key, step in ordered
    }
    in_steps = sum(v["wall"] for v in step_table.values())
    before = ordered[0][1]["start"] - result["started"] if ordered else wall
    after = result["finished"] - max(s.get("end", 0.0) for _, s in ordered) if ordered else 0.0
    setup = result.get("setup", {})
    called = setup.pop("execute_in_process called", None)
    run_start = result["run_events"].get("RUN_START")
    if called and run_start:
        setup["execute_in_process until RUN_START"] = run_start - called
        setup["RUN_START to the first step"] = ordered[0][1]["start"] - run_start if ordered else 0.0
    setup["rest of the set-up"] = before - sum(setup.values())
    framework = {
        "run set-up (partitions, definitions, job, run record)": before,
        "dagster-dbt set-up per dbt op (dbt --version, in-process adapter + macros)": parts["set-up"],
        "in steps (events, materialisations, checks, resources)": in_steps
        - sum(delegated.values())
        - parts["set-up"],
        "between steps": wall - before - after - in_steps,
        "after the last step": after,
    }
    raw = work.get("load_raw", {})
    truth = work.get("load_truth", {})
    return {
        "wall": wall,
        "raw_load": raw.get("end", 0.0) - raw.get("start", 0.0),
        "truth_load": truth.get("end", 0.0) - truth.get("start", 0.0),
        "models": walls["models"],
        "tests": walls["tests"],
        "unit_tests": walls["unit_tests"],
        "node_sums": {
            "models": node_seconds["seed"] + node_seconds["model"] + node_seconds["snapshot"],
            "tests": node_seconds["test"],
            "unit_tests": node_seconds["unit_test"],
        },
        "dbt_overhead": sum(r["overhead"] for r in dbt_steps.values()),
        "dbt_overhead_parts": {k: v for k, v in parts.items() if k not in ("set-up", "parallel")},
        "dbt_parallel": parts["parallel"],
        "op_nodes": op_nodes,
        "dbt_steps": dbt_steps,
        "dbt_invocations": len(dbt_steps),
        "gates": gates,
        "framework": sum(framework.values()),
        "framework_parts": framework,
        "setup_parts": setup,
        "node_compile": node_compile,
        "event_counts": result.get("event_counts", {}),
        "steps": step_table,
        "work_step": work_step,
        "per_node": per_node,
        "test_failures": test_failures,
    }


def analyse_direct(result: dict[str, Any]) -> dict[str, Any]:
    statements = result["statements"]
    return {
        "raw_load": result["raw_load"],
        "truth_load": result["truth_load"],
        "models": sum(s["seconds"] for s in statements),
        "setup": sum(s["seconds"] for s in statements if s["kind"] == "setup"),
        "tests": sum(t["seconds"] for t in result["tests"].values()),
        "per_node": {s["id"]: s["seconds"] for s in statements},
        "test_failures": {k: v["failures"] for k, v in result["tests"].items()},
        "test_seconds": {k: v["seconds"] for k, v in result["tests"].items()},
        "statements": len(statements),
        "test_count": len(result["tests"]),
        "cpu": result["raw_load_cpu"] + result["truth_load_cpu"] + result["statements_cpu"],
        "raw_load_cpu": result["raw_load_cpu"],
        "statements_cpu": result["statements_cpu"],
    }


def compare_counts(dagster: dict[str, int], direct: dict[str, int]) -> dict[str, Any]:
    gold = sorted(k for k in dagster.keys() | direct.keys() if k.split(".")[0] in ("gold", "ml"))
    mismatched = {k: [dagster.get(k), direct.get(k)] for k in gold if dagster.get(k) != direct.get(k)}
    shared = sorted(k for k in dagster.keys() & direct.keys() if k.split(".")[0] not in ("quality",))
    other = {k: [dagster[k], direct[k]] for k in shared if dagster[k] != direct[k] and k not in gold}
    return {
        "gold": {k: [dagster.get(k), direct.get(k)] for k in gold},
        "gold_mismatched": mismatched,
        "other_mismatched": other,
        "only_dagster": sorted(dagster.keys() - direct.keys()),
        "only_direct": sorted(direct.keys() - dagster.keys()),
    }


def machine() -> dict[str, Any]:
    """generator_benchmark's machine facts (CPU, cores, date, Python, load), plus git and the stack."""
    from importlib.metadata import version

    from generator_benchmark import machine as generator_machine  # benchmarks/ is on sys.path

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.split("\n")  # fmt: skip
    return {
        **generator_machine(), "git_commit": commit,
        "uncommitted_files": sorted(line[3:] for line in dirty if line.strip()),
        "versions": {p: version(p) for p in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb",
                                               "great-expectations")},
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }  # fmt: skip


@contextmanager
def _stage(name: str) -> Iterator[None]:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)
    began = time.perf_counter()
    yield
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {time.perf_counter() - began:.1f} s", flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work_dir).resolve()
    landing, seeds = work / "landing", work / "seeds"
    work.mkdir(parents=True, exist_ok=True)
    loads = {"start": _load()}
    record: dict[str, Any] = {"scale": args.scale, "days": args.days, "seed": args.seed, "machine": machine()}
    base_env = _env(work / "generate", landing, seeds)
    if args.skip_generate:
        record["world"] = {"seconds": None, "reused": str(landing)}
    else:
        with _stage("generate"):
            spec = {"scale": args.scale, "days": args.days, "seed": args.seed}
            spec |= {"landing": str(landing), "seeds": str(seeds)}
            child = _child("generate", spec, base_env, work / "generate.log")
        record["world"] = {"seconds": child["process_seconds"], "in_process_seconds": child["seconds"]}
    rows = _world_rows(landing)
    record["world"] |= {"rows": rows, "total_rows": sum(rows.values())}
    window = _landing_window(landing)
    loads["after_generate"] = _load()

    with _stage("definitions load (fresh process)"):
        definitions = _child("definitions", {}, base_env, work / "definitions.log")
    parse_dir = work / "parse"
    shutil.rmtree(parse_dir, ignore_errors=True)
    parse_env = _env(parse_dir, landing, seeds) | {
        "EMPORIUM_WAREHOUSE_PATH": str(parse_dir / "parse.duckdb"),
        "DBT_LOG_PATH": str(parse_dir / "logs"),
    }
    parse_dir.mkdir(parents=True)
    with _stage("dbt parse (cold, no partial parse)"):
        command = _dbt("parse", "--no-partial-parse", "--target-path", str(parse_dir / "target"))
        parse_seconds, _ = _timed_command(command, parse_env, parse_dir / "parse.log")
    with _stage("start-up with and without a bytecode cache"):
        startup = startup_costs(work, base_env)
    record["definitions"] = {
        "startup": startup,
        "seconds": definitions["seconds"],
        "process_cpu": definitions["process_cpu"],
        "process_seconds": definitions["process_seconds"],
        "libraries_seconds": definitions["libraries_seconds"],
        "manifest_reparsed": definitions["manifest_reparsed"],
        "dbt_parse_seconds": parse_seconds,
    }

    dagster_dir = work / "dagster"
    loads["before_dagster"] = _load()
    if args.reuse_dagster:  # the previous Dagster side of this work dir (to re-run the direct side only)
        dagster = json.loads((work / "dagster.json").read_text(encoding="utf-8"))
    else:
        shutil.rmtree(dagster_dir, ignore_errors=True)
        dagster_dir.mkdir(parents=True)
        with _stage("Dagster: materialize_warehouse(full_refresh=True)"):
            dagster = _child("dagster", {}, _env(dagster_dir, landing, seeds), work / "dagster.log")
    loads["after_dagster"] = _load()
    if not dagster["success"]:
        print(
            f"WARNING: the Dagster run did not succeed: {dagster['failed_steps']} {dagster['failed_checks']}"
        )
    side = dagster_side(dagster)

    direct_dir = work / "direct"
    shutil.rmtree(direct_dir, ignore_errors=True)
    direct_dir.mkdir(parents=True)
    with _stage("dbt compile (direct side's SQL; not timed in its total)"):
        compile_seconds, target = compile_project(work, landing, seeds, window)
    tests_ran = set(side["test_failures"]) or None
    plan = build_plan(target, tests_ran)
    (direct_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    loads["before_direct"] = _load()
    with _stage("direct: raw load + compiled SQL in one DuckDB connection"):
        spec = {"plan": str(direct_dir / "plan.json")}
        if args.dbt_alone and dagster["dbt"]:
            shutil.rmtree(work / "alone", ignore_errors=True)
            (work / "alone").mkdir(parents=True)
            spec["copy_raw_to"] = str(work / "alone" / "warehouse.duckdb")
        direct_raw = _child("direct", spec, _env(direct_dir, landing, seeds), work / "direct.log")
    loads["end"] = _load()
    direct = analyse_direct(direct_raw)
    counts = compare_counts(dagster["counts"], direct_raw["counts"])
    mismatched_tests = {
        uid: [side["test_failures"][uid], direct["test_failures"].get(uid)]
        for uid in side["test_failures"]
        if side["test_failures"][uid] != direct["test_failures"].get(uid)
    }
    for name, (a, b) in counts["gold"].items():
        print(f"  {name:<45} Dagster {a!s:>12}   direct {b!s:>12}")
    assert not counts["gold_mismatched"], f"gold row counts differ: {counts['gold_mismatched']}"
    assert counts["gold"], "no gold tables found"

    record |= {
        "dagster": side,
        "direct": direct,
        "compile_seconds": compile_seconds,
        "row_counts": counts,
        "test_failures_mismatched": mismatched_tests,
        "load_average": loads,
    }
    record["totals"] = totals(record)
    if not args.no_save:
        save(record)  # the main comparison is kept even if the optional part below is cut short
    if args.dbt_alone and dagster["dbt"]:
        with _stage("dbt alone: the Dagster run's dbt commands as plain subprocesses"):
            record["dbt_alone"] = dbt_alone(work, landing, seeds, dagster["dbt"])
        loads["end"] = _load()
        record["totals"] = totals(record)
    return record


def dagster_side(dagster: dict[str, Any]) -> dict[str, Any]:
    side = analyse_dagster(dagster)
    side |= {"import_seconds_in_run": dagster["import_seconds"], "success": dagster["success"]}
    side |= {"failed_checks": dagster["failed_checks"], "materialized": dagster["materialized"]}
    side["cpu"] = dagster["cpu"] | {"raw_load": dagster["work"].get("load_raw", {}).get("cpu")}
    return side


def totals(record: dict[str, Any]) -> dict[str, float]:
    """Both sides' totals and the ratios (generation and the direct side's dbt compile left out)."""
    side, direct, alone = record["dagster"], record["direct"], record.get("dbt_alone")
    gx = sum(g["seconds"] for g in side["gates"].values())
    dagster_total = record["definitions"]["seconds"] + side["wall"]
    direct_total = direct["raw_load"] + direct["truth_load"] + direct["models"] + direct["tests"]
    cpu_dagster = record["definitions"]["process_cpu"] + side["cpu"]["run_in_process"]
    cpu_dagster += side["cpu"]["dbt_subprocesses"]
    result = {
        "dagster": dagster_total,
        "direct": direct_total,
        "gx": gx,
        "ratio": dagster_total / direct_total,
        "ratio_without_gx": (dagster_total - gx) / direct_total,
        "ratio_run_only": side["wall"] / direct_total,
        "cpu_dagster": cpu_dagster,
        "cpu_direct": direct["cpu"],
        "cpu_ratio": cpu_dagster / direct["cpu"],
    }
    if alone:
        alone_total = direct["raw_load"] + direct["truth_load"] + alone["process"]
        alone_cpu = direct["cpu"] - direct["statements_cpu"] + alone["cpu"]
        result |= {
            "cpu_dbt_alone": alone_cpu,
            "cpu_ratio_dbt_alone": alone_cpu / direct["cpu"],
            "dbt_alone": alone_total,
            "ratio_dbt_alone": alone_total / direct_total,
            "ratio_dagster_vs_dbt_alone_without_gx": (dagster_total - gx) / alone_total,
        }
    return result


def reanalyse(args: argparse.Namespace) -> dict[str, Any]:
    """Recompute this scale's recorded run from the raw results its children left in --work-dir (after a
    change to the analysis; nothing is measured again)."""
    work = Path(args.work_dir).resolve()
    path = RESULTS / "orchestration.json"
    runs = json.loads(path.read_text(encoding="utf-8"))["runs"]
    record = next(r for r in runs if (r["scale"], r["days"]) == (args.scale, args.days))
    record["dagster"] = dagster_side(json.loads((work / "dagster.json").read_text(encoding="utf-8")))
    direct_raw = json.loads((work / "direct.json").read_text(encoding="utf-8"))
    record["direct"] = analyse_direct(direct_raw)
    for op in (record.get("dbt_alone") or {}).get("ops", {}).values():
        shares, _, _ = _wall_shares({k: op[k] for k in ("models", "tests", "unit_tests")}, op["node_span"])
        op |= shares
        op["overhead"] = op["process"] - sum(shares.values())
    if record.get("dbt_alone"):
        alone = record["dbt_alone"]
        for key in ("models", "tests", "unit_tests", "overhead"):
            alone[key] = sum(op[key] for op in alone["ops"].values())
    record["totals"] = totals(record)
    return record


# --- report ----------------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value: float, total: float) -> str:
    return f"{value:.1f} ({100 * value / total:.0f} %)" if total else _s(value)


def summary_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(label, Dagster, dbt alone, direct) per row."""
    d, x, t = r["dagster"], r["direct"], r["totals"]
    a = r.get("dbt_alone")
    total = t["dagster"]
    parts = d["dbt_overhead_parts"]

    def alone(key: str) -> str:
        return _s(a[key]) if a else ""

    rows = [
        ("world generation (not in the totals)", _s(r["world"]["seconds"]), "", ""),
        ("definitions load (fresh process: Dagster, dagster-dbt, manifest)",
         _share(r["definitions"]["seconds"], total), "", ""),
        ("raw load (ingest.raw_load.load_raw; dbt alone: the direct side's)",
         _share(d["raw_load"], total), "", _s(x["raw_load"])),
        ("truth load (load_truth)", _share(d["truth_load"], total), "", _s(x["truth_load"])),
        ("dbt models: seeds, models, snapshots (dbt: run_results per node, scaled to the wall time its nodes "
         "ran in; direct: per statement)",
         _share(d["models"], total), alone("models"), _s(x["models"])),
        ("dbt data tests (same)", _share(d["tests"], total), alone("tests"), _s(x["tests"])),
        ("dbt unit tests (fixtures; no direct counterpart)", _share(d["unit_tests"], total), alone("unit_tests"),
         ""),
        (f"dbt process overhead ({d['dbt_invocations']} dbt processes: process wall - node time)",
         _share(d["dbt_overhead"], total), alone("overhead"), ""),
        ("&nbsp;&nbsp;start-up (interpreter, dbt imports)", _s(parts["start-up"]), "", ""),
        (f"&nbsp;&nbsp;parse ({_full_parses(d)} of {d['dbt_invocations']} processes parsed the whole project)",
         _s(parts["parse"]), "", ""),
        ("&nbsp;&nbsp;pre-run (adapter, relation cache, on-run-start hooks)", _s(parts["pre-run"]), "", ""),
        ("&nbsp;&nbsp;in-run gaps (no node running)", _s(parts["in-run"]), "", ""),
        ("&nbsp;&nbsp;wrap-up (artifacts, exit)", _s(parts["wrap-up"]), "", ""),
        ("(dbt node time that ran alongside another node, 2 threads: not in the total)",
         _s(d.get("dbt_parallel")), "", ""),
        ("Dagster framework overhead (run wall - what raw load, dbt, GX report)",
         _share(d["framework"], total), "", ""),
    ]  # fmt: skip
    rows += [(f"&nbsp;&nbsp;{name}", _s(value), "", "") for name, value in d["framework_parts"].items()]
    rows.append(("**GX gates** (all three)", _share(t["gx"], total), "", ""))
    for layer, gate in d["gates"].items():
        detail = (
            f" (set-up {gate['set-up']:.1f}, validation {gate['validation']:.1f})"
            if gate["set-up"] is not None
            else ""
        )
        rows.append((f"&nbsp;&nbsp;GX {layer} gate{detail}", _s(gate["seconds"]), "", ""))
    alone_total = f"**{t['dbt_alone']:.1f}**" if "dbt_alone" in t else ""
    rows += [
        ("**total (without generation)**", f"**{t['dagster']:.1f}**", alone_total, f"**{t['direct']:.1f}**"),
        ("**overhead ratio** (total / direct total; goal <= 1.3)", f"**{t['ratio']:.2f}x**",
         f"{t['ratio_dbt_alone']:.2f}x" if "ratio_dbt_alone" in t else "", ""),
        ("overhead ratio without the GX gates", f"{t['ratio_without_gx']:.2f}x", "", ""),
        ("CPU seconds (user + system, every process of the side; less sensitive to other jobs)",
         _s(t.get("cpu_dagster")), _s(t.get("cpu_dbt_alone")) if "cpu_dbt_alone" in t else "",
         _s(t.get("cpu_direct"))),
        ("overhead ratio by CPU seconds", f"{t['cpu_ratio']:.2f}x" if "cpu_ratio" in t else "",
         f"{t['cpu_ratio_dbt_alone']:.2f}x" if "cpu_ratio_dbt_alone" in t else "", ""),
        ("overhead ratio of the run alone (no definitions load)", f"{t['ratio_run_only']:.2f}x", "", ""),
        ("dbt compile (direct side's SQL; not in its total)", "", "", _s(r["compile_seconds"])),
        ("cold `dbt parse` (paid by the definitions load when a dbt input changed)",
         _s(r["definitions"]["dbt_parse_seconds"]), "", ""),
    ]  # fmt: skip
    return rows


def _full_parses(d: dict[str, Any]) -> str:
    flags = [s.get("full_parse") for s in d["dbt_steps"].values()]
    return "?" if None in flags else str(sum(flags))


def _label(r: dict[str, Any]) -> str:
    return f"SF {r['scale']:g} ({r['days']} days)"


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Orchestration benchmark: Dagster against the same SQL in one DuckDB connection",
        "",
        "Seconds (wall). Dagster: `orchestration.runner.materialize_warehouse(settings, full_refresh=True)` in a "
        "fresh process on a fresh data folder (raw load, dbt seeds/bronze/silver/snapshots/gold with their tests "
        "as asset checks, the GX gates as asset checks), plus the definitions load in a fresh process. Direct: "
        "the same raw load, then the statements of a `dbt compile` (same vars, --full-refresh) executed one by "
        "one in one DuckDB connection: models in dependency order, then every data test the Dagster run ran. "
        "dbt alone: the Dagster run's own dbt commands (same arguments, same order) as plain subprocesses on a "
        "copy of the direct side's raw warehouse, output to a file: what dbt costs without Dagster reading its "
        "event stream (its total adds the direct side's raw and truth load; no GX). "
        "The share in brackets is of the Dagster total.",
        "",
    ]
    header = " | ".join(f"{_label(r)}: Dagster | dbt alone | direct" for r in runs)
    lines += [f"| | {header} |", "|---|" + "---:|" * (3 * len(runs))]
    tables = [summary_rows(r) for r in runs]
    for i, (label, *_rest) in enumerate(tables[0]):
        cells = " | ".join(" | ".join(t[i][1:]) for t in tables)
        lines.append(f"| {label} | {cells} |")
    lines.append("")
    lines += findings(runs)
    for r in runs:
        lines += _details(r)
    return "\n".join(lines) + "\n"


def findings(runs: list[dict[str, Any]]) -> list[str]:
    """What the numbers of the largest run say: the goal, where the gap goes, what would close it."""
    r = runs[-1]
    d, x, t, a = r["dagster"], r["direct"], r["totals"], r.get("dbt_alone") or {}
    gap = t["dagster"] - t["direct"]
    parts, counts = d["dbt_overhead_parts"], d["event_counts"]
    events = sum(sum(v.values()) for v in counts.values())
    raw_key = d.get("work_step", {}).get("load_raw", "load_raw")  # the step the raw load ran in
    raw_events = counts.get(raw_key, {}).get("ASSET_MATERIALIZATION", 0)
    planned = sum(
        v.get("ASSET_MATERIALIZATION_PLANNED", 0) + v.get("ASSET_CHECK_EVALUATION_PLANNED", 0)
        for v in counts.values()
    )
    raw_step = d["steps"].get(raw_key, {"wall": 0.0, "delegated": 0.0})
    setup = next(iter(d["framework_parts"].values()))  # run set-up: materialize_warehouse to the first step
    n, tests = d["dbt_invocations"], len([k for k in d["per_node"] if _kind(k) == "test"])
    contributions = sorted(
        [
            ("Dagster itself (event log writes, run set-up, dagster-dbt set-up)", d["framework"]),
            ("dbt's per-node cost of the data tests beyond their SQL", d["tests"] - x["tests"]),
            ("dbt's per-node cost of the models beyond their SQL", d["models"] - x["models"]),
            ("dbt process overhead (start-up, parse, hooks, wrap-up)", d["dbt_overhead"]),
            ("dbt unit tests", d["unit_tests"]),
            ("GX gates", t["gx"]),
            ("definitions load", r["definitions"]["seconds"]),
            ("raw + truth load", d["raw_load"] + d["truth_load"] - x["raw_load"] - x["truth_load"]),
        ],
        key=lambda kv: -kv[1],
    )
    met = t["ratio"] <= GOAL
    lines = [
        f"## Findings ({_label(r)})",
        "",
        f"**The {GOAL}x goal is {'met' if met else 'not met'} at SF {r['scale']:g}: {t['ratio']:.2f}x** "
        f"({t['dagster']:.1f} s through Dagster against {t['direct']:.1f} s for the same raw load and SQL "
        f"directly; {t['ratio_without_gx']:.2f}x without the GX gates; by CPU seconds {t['cpu_ratio']:.2f}x)."
        + (
            f" The same dbt commands without Dagster already take {t['ratio_dbt_alone']:.2f}x the direct time."
            if "ratio_dbt_alone" in t
            else ""
        ),
        "",
        f"Where the {gap:.1f} s between the two go: "
        + "; ".join(f"{label} {value:.1f} s ({100 * value / gap:.0f} %)" for label, value in contributions)
        + ". (The dbt lines are dbt's run_results per node against the same statement run directly; parallel "
        "dbt threads and the machine's load make the shares approximate.)",
        "",
        ("What is left, and what would cut it further" if met else "What would close the gap")
        + " (changes in files this benchmark does not own):",
        "",
        f"1. **Dagster's event log.** One run writes {events:,} events into DAGSTER_HOME's SQLite storage, "
        f"{raw_events:,} of them materialisations from the raw load (the one partitioned step: one event per "
        f"partitioned raw asset and landing day, {r['days']} days), so the {raw_key} step takes "
        f"{raw_step['wall']:.1f} s for a {raw_step['delegated']:.1f} s load; creating the run writes {planned:,} "
        f"planned events (one per asset and per asset check), {setup:.1f} s before the first step."
        " Each event is its own SQLite connection, commit and close (a cProfile of the "
        "run set-up at SF 0.1: about 25 ms per event, in sqlite3 commit and close), and its cost follows the "
        "disk's fsync latency, hence the spread between runs. Options: as few partitioned assets as possible "
        "(every partitioned asset writes one event per landing day; the dbt layers are already unpartitioned, "
        "with the range as run tags), fewer asset checks per run (dbt tests and GX checks are one check each), or "
        "an event-log storage with cheaper writes (Postgres storage, or DAGSTER_HOME on a local fast disk). "
        "Owners: orchestration/ingest.py, orchestration/instance.py.",
        f"2. **dbt processes.** {n} dbt processes per run, each paying interpreter start and dbt imports "
        f"({parts['start-up']:.1f} s in all) and a parse ({parts['parse']:.1f} s in all; {_full_parses(d)} of "
        f"them parsed the whole project: dbt's UnableToPartialParse). Fewer invocations (seeds with bronze and "
        "snapshots with gold: the gates sit only after bronze, silver and gold); partial parsing in every op "
        "(9c61a71 shares one partial-parse file between the ops of a run; the first op still parses in full: "
        "prepare_manifest could leave one; but the --vars landing_start/landing_end change between runs and "
        "make dbt discard it, so the range would have to reach dbt another way); a bytecode cache (see the "
        "start-up line below each scale). Owner: orchestration/warehouse.py, orchestration/resources.py.",
        f"3. **dbt's per-node cost.** {tests} data tests take {d['tests']:.1f} s in dbt against "
        f"{x['tests']:.1f} s for the same SQL in one connection (about "
        f"{1000 * (d['tests'] - x['tests']) / max(tests, 1):.0f} ms per test beyond its query: compile, "
        "materialisation macro, adapter calls, result handling"
        + (f"; {a['tests']:.1f} s with dbt alone" if a else "")
        + f"); models {d['models']:.1f} s against {x['models']:.1f} s. This is dbt, not Dagster: fewer, "
        "combined tests (one query per model for its not_null/unique/accepted_values) would cut it.",
        f"4. **GX gates.** {t['gx']:.1f} s ({100 * t['gx'] / t['dagster']:.0f} % of the Dagster total) at "
        f"SF {r['scale']:g}"
        + "".join(
            f"; {other['totals']['gx']:.1f} s ({100 * other['totals']['gx'] / other['totals']['dagster']:.0f} %)"
            f" at SF {other['scale']:g}"
            for other in runs[:-1]
        )
        + ": no longer the ~40 s of ~100 s the issue measured at SF 0.1 (the gates now keep one GX context "
        "per run and write their results in one insert: commits 08d84fa, a451b09). The first gate also pays "
        "the GX import and context (the set-up figure per gate).",
        "",
    ]
    return lines


def _details(r: dict[str, Any]) -> list[str]:
    d, x, t, m = r["dagster"], r["direct"], r["totals"], r["machine"]
    met = t["ratio"] <= GOAL
    lines = [
        f"## {_label(r)}",
        "",
        f"**Goal {GOAL}x: {'met' if met else 'not met'}** — {t['ratio']:.2f}x ({t['dagster']:.1f} s against "
        f"{t['direct']:.1f} s); without the GX gates {t['ratio_without_gx']:.2f}x.",
        "",
        "Steps of the Dagster run (event log: STEP_START to STEP_SUCCESS; delegated = what the step hands to "
        "the raw load, the dbt subprocess from launch to exit, or the GX gate):",
        "",
        "| step | wall | delegated | Dagster in the step | events: materialisations, check evaluations, all |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, step in d["steps"].items():
        wall, delegated = step["wall"], step["delegated"]
        events = d["event_counts"].get(key, {})
        counted = (
            f"{events.get('ASSET_MATERIALIZATION', 0):,}, {events.get('ASSET_CHECK_EVALUATION', 0):,}, "
            f"{sum(events.values()):,}"
        )
        lines.append(f"| {key} | {wall:.1f} | {delegated:.1f} | {wall - delegated:.1f} | {counted} |")
    lines += [
        "",
        "Run set-up (materialize_warehouse called to the first step starting): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in d["setup_parts"].items())
        + ".",
        "",
    ]
    startup = r["definitions"].get("startup")
    if startup:
        lines += [
            "Process start-up (wall seconds, whole process): "
            + "; ".join(
                f"{label}: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in costs.items())
                for label, costs in startup.items()
            )
            + ". This environment sets PYTHONDONTWRITEBYTECODE=1, so every dbt process and the Dagster "
            "process compile their imports afresh.",
            "",
        ]
    lines += [
        "dbt processes (run_results.json in the op's target path, dbt's JSON log events, launch and exit "
        "taken around the subprocess):",
        "",
        "| op | process | models | tests | unit tests | of it in parallel | start-up | parse | pre-run "
        "| in-run gaps | wrap-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for op, s in d["dbt_steps"].items():
        cells = [s.get(k) for k in ("process", "models", "tests", "unit_tests", "parallel", "start-up", "parse",
                                    "pre-run", "in-run", "wrap-up")]  # fmt: skip
        lines.append(f"| {op} | " + " | ".join(_s(c) for c in cells) + " |")
    alone_ops = (r.get("dbt_alone") or {}).get("ops", {})
    lines += [
        "",
        "The same work per dbt op, like for like (models, unit and data tests of the op; direct: the same "
        "nodes' statements):",
        "",
        "| op | Dagster step | dbt process under Dagster | dbt alone | direct |",
        "|---|---:|---:|---:|---:|",
    ]
    for op, s in d["dbt_steps"].items():
        uids = d.get("op_nodes", {}).get(op, [])
        direct_op = sum(x["per_node"].get(u, 0.0) + x["test_seconds"].get(u, 0.0) for u in uids)
        other = alone_ops.get(op)
        cells = [
            d["steps"].get(op, {}).get("wall"),
            s["process"],
            other["process"] if other else None,
            direct_op,
        ]
        lines.append(f"| {op} | " + " | ".join(_s(c) for c in cells) + " |")
    compiled = d["node_compile"]
    lines += [
        "",
        f"Of dbt's per-node time, its per-node compile step (Jinja, refs, tests' SQL) took "
        f"{compiled['models']:.1f} s of the models' {d['models']:.1f} s and {compiled['tests']:.1f} s of the "
        f"data tests' {d['tests']:.1f} s; the rest is the materialisation (statements, renames, metadata).",
        "",
        "Top models by Dagster (dbt) time against the same statement run directly (dbt runs two nodes at once on "
        "the 2 cores, so a long node takes longer than alone; the like-for-like table above compares walls):",
        "",
        "| node | dbt (run_results) | direct |",
        "|---|---:|---:|",
    ]
    built = {k: v for k, v in d["per_node"].items() if _kind(k) in BUILT}
    for uid, seconds in sorted(built.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| {uid} | {seconds:.2f} | {_s2(x['per_node'].get(uid))} |")
    tests = {k: v for k, v in d["per_node"].items() if _kind(k) == "test"}
    counts, world = r["row_counts"], r["world"]
    gold_rows = sum(v[0] or 0 for v in counts["gold"].values())
    lines += [
        "",
        f"Tests: {len(tests)} data tests ran on both sides (direct: {x['test_count']}); failure counts differ "
        f"for {len(r['test_failures_mismatched'])} of them"
        + (
            f" ({', '.join(list(r['test_failures_mismatched'])[:5])})"
            if r["test_failures_mismatched"]
            else ""
        )
        + f". Direct statements: {x['statements']} (incl. one set-up statement: hooks and schemas, "
        f"{x['setup']:.2f} s). Raw load CPU seconds: Dagster {_s(d.get('cpu', {}).get('raw_load'))}, direct "
        f"{_s(x.get('raw_load_cpu'))} (the same work: a difference in wall time is the machine's load).",
        "",
        f"Gold and ml row counts equal on both sides ({len(counts['gold'])} tables, {gold_rows:,} rows, "
        "asserted)"
        + (f"; other tables that differ: {counts['other_mismatched']}" if counts["other_mismatched"] else "")
        + (
            f"; tables only in the Dagster warehouse: {', '.join(counts['only_dagster'])}"
            if counts["only_dagster"]
            else ""
        )
        + ".",
        "",
        f"World: {world['total_rows']:,} landing rows ("
        + ", ".join(f"{k} {v:,}" for k, v in world["rows"].items())
        + f"); generated in {_s(world['seconds'])} s. Dagster run: {d['materialized']} assets materialised, "
        f"{'success' if d['success'] else 'FAILURE'}. Definitions load {r['definitions']['seconds']:.1f} s "
        f"(of it {r['definitions']['libraries_seconds']:.1f} s importing dagster + dagster-dbt; manifest "
        f"{'re-parsed' if r['definitions']['manifest_reparsed'] else 'up to date'}); the same imports inside "
        f"the run's own process took {d['import_seconds_in_run']:.1f} s.",
        "",
        f"Machine: {m['cpu'] or m['platform']}, {m['cores']} cores, shared with other jobs; load average "
        + "; ".join(f"{k.replace('_', ' ')} {v[0]}/{v[1]}/{v[2]}" for k, v in r["load_average"].items())
        + f" (1/5/15 min). Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
        + f"; PYTHONDONTWRITEBYTECODE={m['PYTHONDONTWRITEBYTECODE'] or 'unset'}; git {m['git_commit']}"
        + (f" (uncommitted changes in {', '.join(m['uncommitted_files'])})" if m["uncommitted_files"] else "")
        + f"; {m['date']}.",
        "",
    ]
    return lines


def _s2(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def save(record: dict[str, Any]) -> list[dict[str, Any]]:
    path = RESULTS / "orchestration.json"
    runs = json.loads(path.read_text(encoding="utf-8"))["runs"] if path.exists() else []
    runs = [r for r in runs if (r["scale"], r["days"]) != (record["scale"], record["days"])] + [record]
    runs.sort(key=lambda r: (r["scale"], r["days"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": runs}, indent=1) + "\n", encoding="utf-8")
    (RESULTS / "orchestration.md").write_text(markdown(runs), encoding="utf-8")
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--work-dir", help="data folder (default: <tmp>/emporium-orchestration-benchmark/...)"
    )
    parser.add_argument("--skip-generate", action="store_true", help="reuse the landing zone in --work-dir")
    parser.add_argument("--reuse-dagster", action="store_true", help="reuse the Dagster side in --work-dir")
    parser.add_argument(
        "--no-dbt-alone", dest="dbt_alone", action="store_false", help="skip the dbt-alone side"
    )
    parser.add_argument(
        "--reanalyse", action="store_true", help="recompute the recorded run from --work-dir; measure nothing"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; leave benchmarks/results alone")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, spec, out = args.child
        result = CHILDREN[kind](json.loads(spec))
        Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")
        return 0
    if args.work_dir is None:
        name = f"sf{args.scale:g}-d{args.days}-s{args.seed}"
        args.work_dir = str(Path(tempfile.gettempdir()) / "emporium-orchestration-benchmark" / name)
    record = reanalyse(args) if args.reanalyse else run(args)
    rows = summary_rows(record)
    width = max(len(label) for label, *_ in rows)
    print(f"\n{_label(record):<{width}}   {'Dagster':<14} {'dbt alone':<10} direct")
    for label, *cells in rows:
        a, b, c = (cell.replace("**", "") for cell in cells)
        print(f"{label.replace('&nbsp;', ' ').replace('**', ''):<{width}}   {a:<14} {b:<10} {c}")
    if not args.no_save:
        save(record)
        print(f"\nwritten: {RESULTS / 'orchestration.md'}, {RESULTS / 'orchestration.json'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
