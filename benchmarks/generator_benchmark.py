"""Generator throughput at SF 0.1 and SF 1 against a naive per-row Faker loop.

Usage: .venv/bin/python benchmarks/generator_benchmark.py [--runs 0.1:365,1:730] [--naive-rows 20000]
Writes benchmarks/results/generator.md and generator.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from faker import Faker

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "tmp"
RESULTS = ROOT / "benchmarks" / "results"
TIERS = ("standard", "silver_club", "gold_club", "platinum_club")
# the child reports its own peak memory, so each run is measured on its own
CHILD = (
    "import resource, sys\n"
    "from generator.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print('MAXRSS_KB', usage.ru_maxrss)\n"
    "print('CPU_SECONDS', usage.ru_utime + usage.ru_stime)\n"
    "sys.exit(code)\n"
)


def run_generator(scale: float, days: int) -> dict[str, object]:
    out = WORK / f"sf{scale:g}"
    args = ["generate", "--scale", str(scale), "--days", str(days), "--seed", "42", "--quiet"]
    args += ["--out", str(out), "--seeds-dir", str(WORK / "seeds")]
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - began
    report = dict(
        line.split() for line in done.stdout.splitlines() if line.startswith(("MAXRSS_KB", "CPU_SECONDS"))
    )
    peak_kb, cpu = int(report["MAXRSS_KB"]), float(report["CPU_SECONDS"])
    with (out / "_truth" / "row_counts.csv").open(newline="") as handle:
        rows = {r["entity"]: int(r["raw_rows"]) for r in csv.DictReader(handle)}
    shutil.rmtree(out, ignore_errors=True)
    total = sum(rows.values())
    return {
        "scale": scale, "days": days, "rows": rows, "total_rows": total, "seconds": round(seconds, 2),
        "rows_per_second": round(total / seconds), "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(total / cpu), "peak_rss_mb": round(peak_kb / 1024),
    }  # fmt: skip


def naive_customers(n: int) -> dict[str, object]:
    """The approach the generator replaces: one dict per customer, every field from a Faker call."""
    fake = Faker("de_DE")
    fake.seed_instance(42)
    began, cpu_began = time.perf_counter(), time.process_time()
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
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    return {
        "rows": len(rows), "seconds": round(seconds, 2), "rows_per_second": round(len(rows) / seconds),
        "cpu_seconds": round(cpu, 2), "rows_per_cpu_second": round(len(rows) / cpu),
    }  # fmt: skip


def markdown(runs: list[dict[str, object]], naive: dict[str, object]) -> str:
    head = "| entity | " + " | ".join(f"SF {r['scale']:g} ({r['days']} days)" for r in runs) + " |"
    lines = ["# Generator benchmark", "", head, "|---|" + "---:|" * len(runs)]
    for entity in runs[0]["rows"]:  # type: ignore[union-attr]
        lines.append(f"| {entity} | " + " | ".join(f"{r['rows'][entity]:,}" for r in runs) + " |")  # type: ignore[index]
    for label, key, fmt in (
        ("**total rows**", "total_rows", "{:,}"),
        ("seconds (wall)", "seconds", "{:.1f}"),
        ("rows/s (wall)", "rows_per_second", "{:,}"),
        ("CPU seconds", "cpu_seconds", "{:.1f}"),
        ("rows per CPU second", "rows_per_cpu_second", "{:,}"),
        ("peak RSS (MB)", "peak_rss_mb", "{:,}"),
    ):
        lines.append(f"| {label} | " + " | ".join(fmt.format(r[key]) for r in runs) + " |")
    for label, key in (("wall", "rows_per_second"), ("CPU", "rows_per_cpu_second")):
        speedups = [r[key] / naive[key] for r in runs]  # type: ignore[operator]
        lines.append(
            f"| speedup vs naive Faker loop ({label}) | " + " | ".join(f"{s:.0f}x" for s in speedups) + " |"
        )
    lines += [
        "",
        f"Naive baseline: one dict per customer from Faker calls, {naive['rows']:,} rows in "
        f"{naive['seconds']} s wall / {naive['cpu_seconds']} s CPU = {naive['rows_per_second']:,} rows/s wall, "
        f"{naive['rows_per_cpu_second']:,} rows per CPU second (no files written). The generator figures include "
        "process start-up (imports, Faker pools), simulation, defect injection, writing every landing file and "
        "the truth files. Target: >= 50x. CPU time is the fairer measure on a shared machine.",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; other jobs may share the CPU.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", default="0.1:365,1:730", help="scale:days pairs")
    parser.add_argument("--naive-rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    naive = naive_customers(args.naive_rows)
    print(f"naive Faker loop: {naive['rows_per_second']:,} rows/s", flush=True)
    runs = []
    for pair in args.runs.split(","):
        scale, days = pair.split(":")
        runs.append(run_generator(float(scale), int(days)))
        print(
            f"SF {scale} ({days} days): {runs[-1]['total_rows']:,} rows in {runs[-1]['seconds']} s",
            flush=True,
        )
    report = markdown(runs, naive)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "generator.md").write_text(report, encoding="utf-8")
    payload = {"naive": naive, "runs": runs}
    (RESULTS / "generator.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
