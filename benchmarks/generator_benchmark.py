"""Generator throughput at SF 0.1 and SF 1 against a naive per-row Faker loop and TPC-H generators.

Usage: .venv/bin/python benchmarks/generator_benchmark.py [--runs 0.1:365,1:730] [--naive-rows 20000]
           [--tpch-env DIR] [--tpch-scale 1]
Writes benchmarks/results/generator.md and generator.json.

TPC-H side by side (`--tpch-env`, or GENERATOR_BENCH_TPCH_ENV): a virtual environment of its own, outside
the project's lock, with DuckDB's `dbgen` extension (an offline install needs its wheel, which exists for
duckdb 1.5.5) and the Rust `tpchgen-cli`; without it those rows are left out:
    python3 -m venv /work/bench/tpch-venv
    /work/bench/tpch-venv/bin/pip install duckdb==1.5.5 duckdb-extension-tpch tpchgen-cli
dbgen runs `CALL dbgen(sf=...)` in an in-memory database and `EXPORT DATABASE ... (FORMAT csv)`;
tpchgen-cli writes CSV. Every side is a whole process, timed from its start to its last file.

Like with like: both sides run in their own process and are measured with getrusage (CPU = user +
system, so a busy machine inflates wall time but hardly CPU time). The naive side is the approach the
generator replaces: one dict per customer from Faker calls, written to one Parquet file; only its loop
and write are timed (not its imports), which favours the naive side. The generator side is the whole
`generate` process: start-up (imports, Faker pools), simulation, defect injection, every landing file
and the truth files. Phases are timed inside the generator process, so the table also shows each
entity's own write phase (defects + rendering + files) against the naive customers loop.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("GENERATOR_BENCH_DIR", ROOT / "benchmarks" / "tmp"))
TPCH_TABLES = ("customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier")
# run by the TPC-H environment's own interpreter: argv = scale factor, output folder
DBGEN_SCRIPT = """
import json, pathlib, sys
import duckdb, duckdb_extension_tpch
ext = pathlib.Path(duckdb_extension_tpch.__file__).parent / "extensions" / f"v{duckdb.__version__}"
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"load '{ext / 'tpch.duckdb_extension'}'")
con.execute(f"call dbgen(sf={float(sys.argv[1])})")
con.execute(f"export database '{sys.argv[2]}' (format csv)")
"""
RESULTS = ROOT / "benchmarks" / "results"
TIERS = ("standard", "silver_club", "gold_club", "platinum_club")
SIMULATE, STARTUP, POOLS = "simulate (all entities)", "start-up (interpreter, imports)", "Faker pools"
OTHER = "other (library threads, CLI, directory set-up)"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


# --- child processes -------------------------------------------------------------------------------


def naive_child(n: int, out: Path) -> dict[str, Any]:
    """One dict per customer, every field from a Faker call, then one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from faker import Faker

    fake = Faker("de_DE")
    fake.seed_instance(42)
    pa.Table.from_pylist([{"warm_up": 1}])  # its first call imports pandas: not part of the per-row cost
    began, cpu_began = time.perf_counter(), _cpu()
    rows = [
        {
            "customer_id": i + 1,
            "first_name": fake.first_name(),
            "last_name": fake.last_name(),
            "email": fake.email(),
            "phone": fake.phone_number(),
            "street_address": fake.street_address(),
            "city": fake.city(),
            "postal_code": fake.postcode(),
            "country_code": fake.country_code(),
            "loyalty_tier": fake.random_element(TIERS),
            "marketing_opt_in": fake.boolean(),
            "signed_up_at": fake.date_time_between("-2y", "-1y"),
            "updated_at": fake.date_time_between("-1y", "now"),
        }
        for i in range(n)
    ]
    loop_cpu = _cpu() - cpu_began
    pq.write_table(pa.Table.from_pylist(rows), out, compression="snappy")
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu_began
    return {
        "rows": n, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "loop_cpu_seconds": round(loop_cpu, 2), "rows_per_second": round(n / seconds),
        "rows_per_cpu_second": round(n / cpu),
    }  # fmt: skip


def _thread_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


class _PhaseClock:
    """Exclusive CPU seconds per generator phase, by wrapping the functions of generator.run that do
    them. CPU is counted per thread (web events are written on a background thread while the main
    thread simulates), and a phase running inside another on the same thread is not counted twice."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self._local = threading.local()  # .inner: CPU of nested phases, per running phase

    def add(self, phase: str, seconds: float) -> None:
        self.cpu[phase] = self.cpu.get(phase, 0.0) + seconds

    def wrap(self, func: Callable[..., Any], phase: Callable[..., str]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inner = self._local.__dict__.setdefault("inner", [])
            inner.append(0.0)
            began = _thread_cpu()
            try:
                return func(*args, **kwargs)
            finally:
                spent = _thread_cpu() - began
                self.add(phase(*args, **kwargs), spent - inner.pop())
                if inner:
                    inner[-1] += spent

        return timed


def generator_child(argv: list[str]) -> dict[str, Any]:
    from generator import run
    from generator.cli import main

    clock = _PhaseClock()
    clock.add(STARTUP, _cpu())  # interpreter start and imports
    run.build_pools = clock.wrap(run.build_pools, lambda *a, **k: POOLS)
    run.simulate = clock.wrap(run.simulate, lambda *a, **k: SIMULATE)
    run.truth.write_truth = clock.wrap(run.truth.write_truth, lambda *a, **k: "truth files")
    streamed = run._EntityStream.write
    run._EntityStream.write = clock.wrap(streamed, lambda self, *a, **k: self.entity.name)  # type: ignore[method-assign]
    began = time.perf_counter()
    code = main(argv)
    usage = _usage()
    # Arrow's own threads (Parquet, I/O) and anything outside the wrapped functions
    clock.add(OTHER, usage["cpu_seconds"] - sum(clock.cpu.values()))
    return {"exit_code": code, "seconds": time.perf_counter() - began, **usage, "phase_cpu": clock.cpu}


# --- parent --------------------------------------------------------------------------------------


def startup_child() -> dict[str, Any]:
    """The generator's fixed cost: imports and the Faker pools."""
    from generator.cli import main  # noqa: F401
    from generator.pools import build_pools

    build_pools(42)
    return _usage()


def _env(bytecode: bool) -> dict[str, str]:
    """With `bytecode`, as Python normally runs: modules compiled once and cached (here in a private
    folder, so neither the repository nor the venv gets __pycache__). Without, every import compiles."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return total / 1024


def measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Runs `command` to its end: wall seconds, CPU seconds of the whole process tree (getrusage of the
    waited-for children) and its peak RSS, summed over the tree, sampled every 0.1 s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, done = 0.0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({process.returncode}):\n{stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"stdout": stdout, "seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": peak}


def _child(args: list[str], bytecode: bool = True) -> dict[str, Any]:
    run = measured([sys.executable, __file__, "--child", json.dumps(args)], _env(bytecode))
    result = json.loads(run["stdout"].strip().splitlines()[-1])
    result["process_seconds"] = run["seconds"]  # includes interpreter start
    result["tree_peak_rss_mb"] = run["peak_rss_mb"]
    return result


def run_naive(n: int) -> dict[str, Any]:
    out = WORK / "naive_customers.parquet"
    result = _child(["naive", str(n), str(out)])
    out.unlink(missing_ok=True)
    return result


def median_naive(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The naive run with the median CPU rate. The Faker loop is short, so one sample swings with the
    machine's load; samples taken before, between and after the generator runs even that out."""
    ranked = sorted(samples, key=lambda s: s["rows_per_cpu_second"])
    chosen = dict(ranked[len(ranked) // 2])
    chosen["samples_rows_per_cpu_second"] = [s["rows_per_cpu_second"] for s in samples]
    return chosen


def run_generator(scale: float, days: int) -> dict[str, Any]:
    out = WORK / f"sf{scale:g}"
    argv = ["generate", "--scale", str(scale), "--days", str(days), "--seed", "42", "--quiet"]
    argv += ["--out", str(out / "landing"), "--seeds-dir", str(out / "seeds")]
    child = _child(["generate", *argv])
    with (out / "landing" / "_truth" / "row_counts.csv").open(newline="") as handle:
        rows = {r["entity"]: int(r["raw_rows"]) for r in csv.DictReader(handle)}
    shutil.rmtree(out, ignore_errors=True)
    total, seconds, cpu = sum(rows.values()), child["process_seconds"], child["cpu_seconds"]
    phases = {name: round(value, 2) for name, value in child["phase_cpu"].items()}
    return {
        "scale": scale, "days": days, "rows": rows, "total_rows": total, "seconds": round(seconds, 2),
        "rows_per_second": round(total / seconds), "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(total / cpu),
        "peak_rss_mb": round(max(child["peak_rss_mb"], child["tree_peak_rss_mb"])),
        "phase_cpu_seconds": phases,
    }  # fmt: skip


def _csv_rows(folder: Path) -> int:
    """Data rows of the TPC-H CSV files in `folder` (one header line each; no field holds a line break)."""
    rows = 0
    for table in TPCH_TABLES:
        with (folder / f"{table}.csv").open("rb") as handle:
            rows += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    return rows


def run_tpch(tool: str, env_dir: Path, scale: float) -> dict[str, Any]:
    """DuckDB's dbgen + CSV export, or tpchgen-cli's CSV, as one process from its start."""
    out = WORK / f"tpch_{tool}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if tool == "dbgen":
        command = [str(env_dir / "bin" / "python"), "-c", DBGEN_SCRIPT, str(scale), str(out)]
    else:
        command = [str(env_dir / "bin" / "tpchgen-cli"), "csv", "-s", f"{scale:g}", "--output-dir", str(out)]
    run = measured(command)
    rows = _csv_rows(out)
    shutil.rmtree(out, ignore_errors=True)
    seconds, cpu = run["seconds"], run["cpu_seconds"]
    return {
        "tool": tool, "scale": scale, "total_rows": rows, "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds), "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(rows / cpu), "peak_rss_mb": round(run["peak_rss_mb"]),
    }  # fmt: skip


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line
        ]
        model = names[0] if names else ""
    import faker
    import numpy
    import pyarrow

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
        "platform": platform.platform(), "cpu": model,
        "cores": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "numpy": numpy.__version__, "pyarrow": pyarrow.__version__,
        "faker": faker.VERSION,
    }  # fmt: skip


def _speedup(rate: float, naive: float) -> str:
    return f"{rate / naive:.0f}x"


def side_by_side(runs: list[dict[str, Any]], naive: dict[str, Any], tpch: list[dict[str, Any]]) -> list[str]:
    """One table of every generator measured in this run, fastest last."""
    lines = [
        "## Side by side (one run, same machine)", "",
        "| generator | rows | seconds (wall) | CPU seconds | rows/s (wall) | rows per CPU second "
        "| peak RSS, process tree (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    entries = [(f"naive Faker loop ({naive['rows']:,} customers)", naive)]
    entries += [
        (f"DuckDB `dbgen` + CSV export, TPC-H SF {t['scale']:g}", t) for t in tpch if t["tool"] == "dbgen"
    ]
    entries += [
        (f"`tpchgen-cli` (Rust) CSV, TPC-H SF {t['scale']:g}", t) for t in tpch if t["tool"] != "dbgen"
    ]
    entries += [(f"**emporium generator, SF {r['scale']:g} / {r['days']} days**", r) for r in runs]
    for label, e in entries:
        rows = e.get("total_rows", e.get("rows"))
        peak = e.get("peak_rss_mb")
        lines.append(
            f"| {label} | {rows:,} | {e['seconds']:.1f} | {e['cpu_seconds']:.1f} | {e['rows_per_second']:,} | "
            f"{e['rows_per_cpu_second']:,} | {f'{peak:,.0f}' if peak is not None else '-'} |"
        )
    return [*lines, ""]


def markdown(
    runs: list[dict[str, Any]], naive: dict[str, Any], host: dict[str, Any], tpch: list[dict[str, Any]]
) -> str:
    cols = " | ".join(f"SF {r['scale']:g} ({r['days']} days)" for r in runs)
    lines = ["# Generator benchmark", "", *side_by_side(runs, naive, tpch), "## Generator per scale", ""]
    lines += [f"| | {cols} |", "|---|" + "---:|" * len(runs)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    for label, key, fmt in (
        ("**total rows**", "total_rows", "{:,}"),
        ("seconds (wall, whole process)", "seconds", "{:.1f}"),
        ("CPU seconds (user + system)", "cpu_seconds", "{:.1f}"),
        ("rows/s (wall)", "rows_per_second", "{:,}"),
        ("rows per CPU second", "rows_per_cpu_second", "{:,}"),
        ("peak RSS, process tree (MB)", "peak_rss_mb", "{:,}"),
    ):
        row(label, [fmt.format(r[key]) for r in runs])
    for label, key in (("wall", "rows_per_second"), ("CPU", "rows_per_cpu_second")):
        row(f"**speedup vs naive Faker loop ({label})**", [_speedup(r[key], naive[key]) for r in runs])

    lines += ["", "## Per entity: rows, own CPU seconds, rows per CPU second, speedup (CPU) vs naive", ""]
    lines += [f"| entity | {cols} |", "|---|" + "---:|" * len(runs)]
    naive_rate = naive["rows_per_cpu_second"]
    for entity in runs[0]["rows"]:
        cells = []
        for r in runs:
            n, cpu = r["rows"][entity], r["phase_cpu_seconds"].get(entity, 0.0)
            rate = n / cpu if cpu else 0.0
            cells.append(
                f"{n:,} rows, {cpu:.2f} s, {rate:,.0f}/s, {_speedup(rate, naive_rate) if cpu else '-'}"
            )
        row(entity, cells)
    cells = []
    for r in runs:  # the customers' strings come from the Faker pools: count them against customers
        n, cpu = r["rows"]["customers"], r["phase_cpu_seconds"]["customers"] + r["phase_cpu_seconds"][POOLS]
        cells.append(f"{n:,} rows, {cpu:.2f} s, {n / cpu:,.0f}/s, {_speedup(n / cpu, naive_rate)}")
    row("customers incl. Faker pools", cells)
    for phase in (STARTUP, POOLS, SIMULATE, "truth files", OTHER):
        row(f"*{phase}*", [f"{r['phase_cpu_seconds'].get(phase, 0.0):.2f} s" for r in runs])

    lines += [
        "",
        f"Naive baseline: one dict per customer from Faker calls (de_DE), written to one Parquet file: "
        f"{naive['rows']:,} rows in {naive['seconds']} s wall / {naive['cpu_seconds']} s CPU "
        f"({naive['loop_cpu_seconds']} s of it the loop) = {naive['rows_per_second']:,} rows/s wall, "
        f"{naive['rows_per_cpu_second']:,} rows per CPU second: the median of "
        f"{len(naive['samples_rows_per_cpu_second'])} runs (before, between and after the generator runs: "
        f"{', '.join(f'{x:,}' for x in naive['samples_rows_per_cpu_second'])} rows per CPU second). "
        "Its imports and Faker set-up are not timed.",
        "",
        "Generator: the whole `generate` process, from interpreter start to the last truth file. An entity's "
        "own CPU is its defect injection, rendering and file writing (every entity is written in batches on "
        "two writer threads while the simulation goes on; CPU is counted per thread, so that time is counted "
        "here and not under simulate, and wall time can be less than CPU time). The simulation produces "
        "all entities together, so it is a shared line. Target: >= 50x the naive loop. Peak RSS is summed "
        "over the process tree (sampled every 0.1 s) or the process's own high-water mark, the larger.",
        "",
        "TPC-H: whole processes from their start to their last file, in a separate environment "
        "(`--tpch-env`); rows/s compare generators that do different work: TPC-H rows are independent "
        "draws, the emporium world is a day-by-day simulation with state, defects and truth.",
        "",
        "Python runs as usual, with modules compiled once and cached (in a private folder). Without a "
        "bytecode cache (PYTHONDONTWRITEBYTECODE=1, as some sandboxes set it) every run compiles numpy, "
        "pyarrow, pandas and Faker again: start-up (imports + Faker pools) takes "
        f"{host['startup_cpu_seconds']['no_bytecode_cache']} s CPU instead of "
        f"{host['startup_cpu_seconds']['bytecode_cached']} s.",
        "",
        f"Machine: {host['cpu'] or host['platform']}, {host['cores']} cores shared with other jobs, load "
        "average at start "
        f"{', '.join(str(x) for x in host['load_average_at_start'])} (1/5/15 min; other jobs may share "
        f"the CPU, so wall time is the less reliable measure); Python {host['python']}, numpy "
        f"{host['numpy']}, pyarrow {host['pyarrow']}, Faker {host['faker']}; {host['date']}, commit "
        f"{host['commit']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="0.1:365,1:730", help="scale:days pairs")
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument(
        "--tpch-env", default=os.environ.get("GENERATOR_BENCH_TPCH_ENV"),
        help="virtual environment with duckdb==1.5.5, duckdb-extension-tpch and tpchgen-cli (see above)",
    )  # fmt: skip
    parser.add_argument("--tpch-scale", type=float, default=1.0, help="TPC-H scale factor of both tools")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = json.loads(args.child)
        if kind == "startup":
            result = startup_child()
        else:
            result = naive_child(int(rest[0]), Path(rest[1])) if kind == "naive" else generator_child(rest)
        print(json.dumps(result))
        return 0
    host = machine()
    WORK.mkdir(parents=True, exist_ok=True)
    run_generator(0.01, 2)  # warm-up: fills the bytecode cache
    host["startup_cpu_seconds"] = {
        "bytecode_cached": round(_child(["startup"])["cpu_seconds"], 2),
        "no_bytecode_cache": round(_child(["startup"], bytecode=False)["cpu_seconds"], 2),
    }
    samples = [run_naive(args.naive_rows)]
    runs = []
    for pair in args.runs.split(","):
        scale, days = pair.split(":")
        runs.append(run_generator(float(scale), int(days)))
        samples.append(run_naive(args.naive_rows))
        r = runs[-1]
        print(
            f"SF {scale} ({days} days): {r['total_rows']:,} rows, {r['seconds']} s, {r['cpu_seconds']} s CPU"
        )
    tpch = []
    if args.tpch_env:
        for tool in ("dbgen", "tpchgen-cli"):
            tpch.append(run_tpch(tool, Path(args.tpch_env), args.tpch_scale))
            print(f"{tool}: {tpch[-1]['total_rows']:,} rows, {tpch[-1]['seconds']} s", flush=True)
    naive = median_naive(samples)
    print(f"naive Faker loop: {naive['samples_rows_per_cpu_second']} rows per CPU second", flush=True)
    report = markdown(runs, naive, host, tpch)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "generator.md").write_text(report, encoding="utf-8")
    payload = {"machine": host, "naive": naive, "runs": runs, "tpch": tpch}
    (RESULTS / "generator.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
