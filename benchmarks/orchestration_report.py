"""Render benchmarks/results/orchestration.json (written by orchestration_probe.py) as the Markdown table in
benchmarks/results/orchestration.md, between its `<!-- table -->` markers; the findings around the table are
written by hand and stay as they are.

Usage: .venv/bin/python benchmarks/orchestration_report.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BEGIN, END = "<!-- table: orchestration_report.py -->", "<!-- /table -->"
GOAL = 1.3


def totals(run: dict[str, Any]) -> dict[str, float]:
    """Each side's total (generation and the direct side's compile left out) and the ratios."""
    s, cpu = run["seconds"], run["cpu"]
    loads = s["raw_load"] + s["truth_load"]
    dagster = s["definitions_load"] + s["dagster_run"]
    direct = loads + s["direct_statements"] + s["direct_tests"]
    alone = loads + s["dbt_alone_build"]
    return {
        "dagster": dagster,
        "dbt_alone": alone,
        "direct": direct,
        "ratio": dagster / direct,
        "ratio_without_gates": (dagster - s["dagster_gates"]) / direct,
        "ratio_dbt_alone": alone / direct,
        "ratio_dagster_vs_dbt_alone": dagster / alone,
        "cpu_ratio": cpu["dagster"] / cpu["direct"],
        "cpu_ratio_dbt_alone": cpu["dbt_alone"] / cpu["direct"],
    }


def _s(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def rows(run: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(line, Dagster, dbt alone, direct) for one run."""
    s, cpu, t = run["seconds"], run["cpu"], totals(run)
    return [
        ("world generation (not in the totals)", _s(s["generate"]), "", ""),
        ("definitions load (fresh process)", _s(s["definitions_load"]), "", ""),
        ("raw + truth load", _s(s["dagster_raw_load"]), _s(s["raw_load"] + s["truth_load"]),
         _s(s["raw_load"] + s["truth_load"])),
        ("dbt: seeds, models, snapshots, tests (Dagster: its 5 dbt ops; alone: one `dbt build`; direct: the "
         "compiled statements, then the tests)", _s(s["dagster_dbt"]), _s(s["dbt_alone_build"]),
         f"{_s(s['direct_statements'])} + {_s(s['direct_tests'])}"),
        ("GX gates (three steps)", _s(s["dagster_gates"]), "", ""),
        ("**total**", f"**{_s(t['dagster'])}**", f"**{_s(t['dbt_alone'])}**", f"**{_s(t['direct'])}**"),
        (f"**ratio to direct** (goal <= {GOAL}x)", f"**{_x(t['ratio'])}**", _x(t["ratio_dbt_alone"]), ""),
        ("ratio to direct without the GX gates", _x(t["ratio_without_gates"]), "", ""),
        ("ratio of Dagster to dbt alone", _x(t["ratio_dagster_vs_dbt_alone"]), "", ""),
        ("CPU seconds (every process of the side)", _s(cpu["dagster"]), _s(cpu["dbt_alone"]), _s(cpu["direct"])),
        ("ratio by CPU seconds", _x(t["cpu_ratio"]), _x(t["cpu_ratio_dbt_alone"]), ""),
        ("dbt compile (the direct side's SQL; not in its total)", "", "", _s(s["compile"])),
    ]  # fmt: skip


def table(runs: list[dict[str, Any]]) -> str:
    head = ["| |"] + [f"SF {r['scale']:g} ({r['days']} days): Dagster | dbt alone | direct |" for r in runs]
    lines = [" ".join(head), "|---|" + "---:|---:|---:|" * len(runs)]
    per_run = [rows(r) for r in runs]
    for i, (label, *_) in enumerate(per_run[0]):
        lines.append(f"| {label} | " + " | ".join(" | ".join(cells[i][1:]) for cells in per_run) + " |")
    lines.append("")
    for r in runs:
        m = r["machine"]
        lines.append(
            f"SF {r['scale']:g}: commit {m['git_commit']}, {m['date']}, {m['cpus']} CPUs, load average "
            f"{r['load_average']['start']:.2f} at start and {r['load_average']['end']:.2f} at the end; "
            f"{r['tests_ran']} dbt tests, {r['dagster_events']:,} Dagster events, {r['gold_rows']:,} gold rows"
            + (f"; {m['measured_by']}" if m.get("measured_by") else "")
            + "."
        )
    return "\n".join(lines)


def render(markdown: str, runs: list[dict[str, Any]]) -> str:
    if BEGIN not in markdown or END not in markdown:
        raise SystemExit(f"orchestration.md: the markers {BEGIN} ... {END} are missing")
    before, rest = markdown.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    return f"{before}{BEGIN}\n{table(runs)}\n{END}{after}"


def main() -> int:
    runs = json.loads((RESULTS / "orchestration.json").read_text(encoding="utf-8"))["runs"]
    path = RESULTS / "orchestration.md"
    path.write_text(render(path.read_text(encoding="utf-8"), runs), encoding="utf-8")
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
