"""Orchestration overhead, measured: the pipeline through Dagster, its dbt build alone, and the compiled SQL
run directly, on one generated world. Writes numbers only; benchmarks/orchestration_report.py renders them.

Usage: .venv/bin/python benchmarks/orchestration_probe.py [--scale 0.1] [--days 365] [--seed 42]
       [--work-dir DIR] [--skip-generate]
Adds (or replaces) this scale's record in benchmarks/results/orchestration.json. Data stays under --work-dir
(default: a folder under the system temp dir named after scale, days and seed, so --skip-generate finds the
landing zone again). Each side runs in a fresh process of its own, on a fresh data folder:

1. world: generator.run.generate (timed; not in the totals);
2. definitions load: `import orchestration.definitions` (Dagster, dagster-dbt, the manifest check);
3. Dagster: orchestration.runner.materialize_warehouse(full_refresh=True), the way `emporium run` builds:
   raw load, dbt seeds/bronze/silver/snapshots/gold with their tests as checks, the GX gates. Step times
   come from the run's event log, dbt's time per op from its run_results.json;
4. direct: the same raw and truth load through the Python API, then the statements of a `dbt compile`
   (same vars, --full-refresh; the compile is timed on its own line) in one DuckDB connection: the
   on-run-start hooks, seeds, every model and snapshot as `create or replace table` in dependency order,
   then every data test the Dagster run ran. Its gold row counts must equal the Dagster warehouse's;
5. dbt alone: one `dbt build --full-refresh` with the run's vars, as a terminal runs it, on a copy of the
   direct side's raw warehouse (its total adds the direct side's raw and truth load; no GX gates).

Timings are wall seconds on a shared machine, with CPU seconds beside them and the load average recorded.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "orchestration.json"
DBT_OPS = ("seeds", "bronze", "silver", "snapshots", "gold")
BUILT = ("seed", "model", "snapshot")


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _env(data_dir: Path, landing: Path, seeds: Path) -> dict[str, str]:
    """One side's environment: every path under its own data folder (as tests/support.py does)."""
    derived = ("EMPORIUM_WAREHOUSE_PATH", "DAGSTER_HOME", "EMPORIUM_LANDING_DIR", "DBT_TARGET_PATH")
    env = {k: v for k, v in os.environ.items() if k not in derived}
    return env | {
        "EMPORIUM_DATA_DIR": str(data_dir),
        "EMPORIUM_LANDING_DIR": str(landing),
        "EMPORIUM_SEEDS_DIR": str(seeds),
        "DBT_TARGET": "duckdb",
        "DBT_TARGET_PATH": str(data_dir / "target"),
    }


def table_counts(warehouse: Path) -> dict[str, int]:
    """schema.table -> rows, for every base table of a DuckDB warehouse."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_catalog = current_database() order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


# --- the sides, each in a fresh process ---------------------------------------------------------------


def generate_side(spec: dict[str, Any]) -> dict[str, Any]:
    from generator.config import Params
    from generator.run import generate

    params = Params(seed=spec["seed"], scale=spec["scale"], days=spec["days"])
    generate(params, Path(spec["landing"]), Path(spec["seeds"]))
    return {}


def definitions_side(spec: dict[str, Any]) -> dict[str, Any]:
    import orchestration.definitions  # noqa: F401  (prepare_manifest, @dbt_assets, the gates' suites)

    return {}


def dagster_side(spec: dict[str, Any]) -> dict[str, Any]:
    from emporium.config import load_settings
    from orchestration.instance import get_instance
    from orchestration.runner import materialize_warehouse

    settings = load_settings()
    outcome = materialize_warehouse(settings, full_refresh=True)
    print(outcome.render(), flush=True)
    steps: dict[str, dict[str, float]] = {}
    events = 0
    for entry in get_instance(settings).all_logs(outcome.run_id):
        event = entry.dagster_event
        events += event is not None
        if event is not None and entry.step_key and event.event_type_value in ("STEP_START", "STEP_SUCCESS"):
            steps.setdefault(entry.step_key, {})[event.event_type_value] = entry.timestamp
    dbt_ops, tests_ran = {}, []
    for op in DBT_OPS:
        path = settings.dbt_target_path / op / "run_results.json"
        if path.exists():
            results = json.loads(path.read_text(encoding="utf-8"))
            dbt_ops[op] = results["elapsed_time"]
            tests_ran += [r["unique_id"] for r in results["results"] if r["unique_id"].startswith("test.")]
    return {
        "success": outcome.success,
        "steps": {k: v["STEP_SUCCESS"] - v["STEP_START"] for k, v in steps.items() if len(v) == 2},
        "events": events,
        "dbt_ops": dbt_ops,
        "tests_ran": sorted(tests_ran),
        "counts": table_counts(settings.warehouse_path),
    }


def direct_side(spec: dict[str, Any]) -> dict[str, Any]:
    import duckdb

    from emporium.config import load_settings
    from ingest.raw_load import load_raw, load_truth

    settings = load_settings()
    timings: dict[str, float] = {}
    began = time.perf_counter()
    load_raw(settings, None, run_id="orchestration-probe")
    timings["raw_load"] = time.perf_counter() - began
    began = time.perf_counter()
    load_truth(settings)
    timings["truth_load"] = time.perf_counter() - began
    load_cpu = _cpu()
    shutil.copyfile(settings.warehouse_path, spec["copy_raw_to"])  # dbt alone starts here (not timed)
    plan = json.loads(Path(spec["plan"]).read_text(encoding="utf-8"))
    with duckdb.connect(str(settings.warehouse_path)) as con:
        began = time.perf_counter()
        for statement in plan["build"]:
            con.execute(statement)
        timings["statements"] = time.perf_counter() - began
        began = time.perf_counter()
        for statement in plan["tests"]:
            con.execute(statement).fetchone()
        timings["tests"] = time.perf_counter() - began
    return {**timings, "cpu_loads": load_cpu, "counts": table_counts(settings.warehouse_path)}


SIDES = {"generate": generate_side, "definitions": definitions_side, "dagster": dagster_side,
         "direct": direct_side}  # fmt: skip


def _side(kind: str, spec: dict[str, Any], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one side in a fresh interpreter: its output goes to `log`, its result comes back as JSON, with
    the process's wall and CPU seconds (its subprocesses included)."""
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    began, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    with log.open("w") as handle:
        done = subprocess.run(
            [sys.executable, __file__, "--side", kind, json.dumps(spec), str(out)],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if done.returncode != 0 or not out.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
        raise RuntimeError(f"{kind} side failed (exit {done.returncode}), log {log}:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    return result | {"process_seconds": time.perf_counter() - began,
                     "process_cpu": _cpu(resource.RUSAGE_CHILDREN) - cpu}  # fmt: skip


def _timed(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one command."""
    began, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    with log.open("w") as handle:
        subprocess.run(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - began, _cpu(resource.RUSAGE_CHILDREN) - cpu


def _dbt(*args: str) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [str(dbt), *args, "--profiles-dir", str(ROOT / "profiles")]


# --- the direct side's SQL, from a `dbt compile` ------------------------------------------------------


def compile_project(work: Path, landing: Path, seeds: Path, variables: str) -> tuple[float, Path]:
    """`dbt compile` with the run's vars against an empty scratch warehouse whose file name matches the real
    ones (the compiled SQL names the database after the file)."""
    scratch = work / "compile"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    env = _env(scratch, landing, seeds) | {"EMPORIUM_WAREHOUSE_PATH": str(scratch / "warehouse.duckdb"),
                                           "DBT_LOG_PATH": str(scratch / "logs")}  # fmt: skip
    command = _dbt("compile", "--full-refresh", "--vars", variables, "--target-path", str(scratch / "target"))
    return _timed(command, env, scratch / "compile.log")[0], scratch / "target"


def _compiled_sql(node: dict[str, Any]) -> str:
    path = node.get("compiled_path")
    return Path(path).read_text(encoding="utf-8") if path and Path(path).is_file() else node["compiled_code"]


def _select(node: dict[str, Any]) -> str:
    """What `create or replace table` builds a seed, model or snapshot from (a snapshot's first run: every
    row valid from its updated_at, with dbt's SCD2 columns)."""
    config = node["config"]
    if node["resource_type"] == "seed":
        path = (ROOT / node["original_file_path"]).as_posix().replace("'", "''")
        typed = ", ".join(f"'{c}': '{k}'" for c, k in (config.get("column_types") or {}).items())
        return f"select * from read_csv('{path}', header = true{f', types = {{{typed}}}' if typed else ''})"
    sql = _compiled_sql(node)
    if node["resource_type"] == "snapshot":
        key, updated = config["unique_key"], config["updated_at"]
        scd = f"md5(coalesce(cast({key} as varchar), '') || '|' || coalesce(cast({updated} as varchar), ''))"
        return (f"select *, {scd} as dbt_scd_id, {updated} as dbt_updated_at, {updated} as dbt_valid_from, "
                f"cast(null as timestamp) as dbt_valid_to from (\n{sql}\n) as snapshot_query")  # fmt: skip
    if config["materialized"] not in ("table", "incremental", "view"):
        raise ValueError(f"{node['unique_id']}: materialization {config['materialized']} not handled")
    return sql


def build_plan(target: Path, tests_ran: set[str]) -> dict[str, list[str]]:
    """The direct side's statements: hooks and schemas, every node in dependency order, the tests."""
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    hooks = sorted((n for n in nodes.values() if n["resource_type"] == "operation" and "on-run-start" in n["name"]),
                   key=lambda n: n.get("index") or 0)  # fmt: skip
    schemas = sorted({(n["database"], n["schema"]) for n in nodes.values() if n["resource_type"] in BUILT})
    build = [";\n".join([*(_compiled_sql(h).strip().rstrip(";") for h in hooks),
                         *(f'create schema if not exists "{d}"."{s}"' for d, s in schemas)])]  # fmt: skip
    graph = {
        uid: [
            p
            for p in n.get("depends_on", {}).get("nodes", [])
            if nodes.get(p, {}).get("resource_type") in BUILT
        ]
        for uid, n in nodes.items()
        if n["resource_type"] in BUILT and n["config"].get("enabled", True)
    }
    for uid in graphlib.TopologicalSorter(graph).static_order():
        node = nodes[uid]
        build.append(f"create or replace table {node['relation_name']} as (\n{_select(node)}\n)")
    tests = [
        f"select {node['config'].get('fail_calc') or 'count(*)'} from (\n{_compiled_sql(node)}\n) as t"
        for uid, node in sorted(nodes.items())
        if uid in tests_ran
    ]
    return {"build": build, "tests": tests}


# --- one record ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "git_commit": commit,
        "date": time.strftime("%Y-%m-%d"),
        "versions": {p: version(p) for p in ("dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb")},
    }


def _stage(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", flush=True)


def probe(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work_dir).resolve()
    landing, seeds = work / "landing", work / "seeds"
    work.mkdir(parents=True, exist_ok=True)
    load = {"start": os.getloadavg()[0]}
    record: dict[str, Any] = {"scale": args.scale, "days": args.days, "seed": args.seed, "machine": machine()}
    seconds: dict[str, float | None] = {"generate": None}
    base = _env(work / "generate", landing, seeds)
    if not args.skip_generate:
        _stage("generate")
        spec = {"scale": args.scale, "days": args.days, "seed": args.seed, "landing": str(landing),
                "seeds": str(seeds)}  # fmt: skip
        seconds["generate"] = _side("generate", spec, base, work / "generate.log")["process_seconds"]
    days = sorted(p.name.split("=", 1)[1] for p in landing.glob("*/date=*"))
    if not days:
        raise SystemExit(f"{landing}: no landing partitions; generate first (drop --skip-generate)")
    variables = json.dumps({"landing_start": days[0], "landing_end": days[-1]})

    _stage("definitions load (fresh process)")
    definitions = _side("definitions", {}, base, work / "definitions.log")
    _stage("Dagster: materialize_warehouse(full_refresh=True)")
    for side in ("dagster", "direct", "alone"):
        shutil.rmtree(work / side, ignore_errors=True)
        (work / side).mkdir(parents=True)
    dagster = _side("dagster", {}, _env(work / "dagster", landing, seeds), work / "dagster.log")
    if not dagster["success"]:
        raise SystemExit(f"the Dagster run failed; see {work / 'dagster.log'}")

    _stage("dbt compile (the direct side's SQL; its own line)")
    seconds["compile"], target = compile_project(work, landing, seeds, variables)
    (work / "direct" / "plan.json").write_text(json.dumps(build_plan(target, set(dagster["tests_ran"]))))
    _stage("direct: raw load, then the compiled SQL in one DuckDB connection")
    spec = {
        "plan": str(work / "direct" / "plan.json"),
        "copy_raw_to": str(work / "alone" / "warehouse.duckdb"),
    }
    direct = _side("direct", spec, _env(work / "direct", landing, seeds), work / "direct.log")
    gold = {t: n for t, n in dagster["counts"].items() if t.startswith("gold.")}
    differing = {t: (n, direct["counts"].get(t)) for t, n in gold.items() if direct["counts"].get(t) != n}
    if not gold or differing:
        raise SystemExit(f"gold row counts differ between Dagster and direct: {differing or 'no gold'}")

    _stage("dbt alone: one dbt build on a copy of the direct side's raw warehouse")
    alone_env = _env(work / "alone", landing, seeds) | {
        "EMPORIUM_WAREHOUSE_PATH": str(work / "alone" / "warehouse.duckdb")
    }
    alone_seconds, alone_cpu = _timed(_dbt("build", "--full-refresh", "--vars", variables), alone_env,
                                      work / "alone" / "build.log")  # fmt: skip
    load["end"] = os.getloadavg()[0]

    gates = sum(s for step, s in dagster["steps"].items() if step.endswith("_gate"))
    direct_cpu_loads = direct["cpu_loads"]
    return record | {
        "landing_days": len(days),
        "load_average": load,
        "seconds": seconds
        | {
            "definitions_load": definitions["process_seconds"],
            "dagster_run": dagster["process_seconds"],
            "dagster_gates": gates,
            "dagster_raw_load": dagster["steps"].get("raw__shop"),
            "dagster_dbt": sum(dagster["dbt_ops"].values()),
            "raw_load": direct["raw_load"],
            "truth_load": direct["truth_load"],
            "direct_statements": direct["statements"],
            "direct_tests": direct["tests"],
            "dbt_alone_build": alone_seconds,
        },
        "cpu": {
            "dagster": definitions["process_cpu"] + dagster["process_cpu"],
            "direct": direct["process_cpu"],
            "dbt_alone": direct_cpu_loads + alone_cpu,
        },
        "dagster_steps": dagster["steps"],
        "dagster_events": dagster["events"],
        "tests_ran": len(dagster["tests_ran"]),
        "gold_rows": sum(gold.values()),
    }


def save(record: dict[str, Any]) -> None:
    runs = json.loads(RESULTS.read_text(encoding="utf-8"))["runs"] if RESULTS.exists() else []
    runs = [r for r in runs if (r["scale"], r["days"]) != (record["scale"], record["days"])] + [record]
    runs.sort(key=lambda r: (r["scale"], r["days"]))
    RESULTS.write_text(json.dumps({"runs": runs}, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", help="data folder (default: <tmp>/emporium-orchestration-probe/...)")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the landing zone in --work-dir")
    parser.add_argument("--side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        kind, spec, out = args.side
        Path(out).write_text(json.dumps(SIDES[kind](json.loads(spec)), default=str), encoding="utf-8")
        return 0
    if args.work_dir is None:
        name = f"sf{args.scale:g}-d{args.days}-s{args.seed}"
        args.work_dir = str(Path(tempfile.gettempdir()) / "emporium-orchestration-probe" / name)
    save(probe(args))
    print(f"written: {RESULTS}; render it with benchmarks/orchestration_report.py", flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
