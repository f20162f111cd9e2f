"""The drift monitor judged against the planted truth on the main job's world.

    .venv/bin/python benchmarks/drift_benchmark.py

Reads ml.drift_reports as the main job wrote it (`make run`: SF 0.1, drift on 2025-08-08) and the truth's
drift day (_truth/drift.json; the monitor itself never reads _truth/), and writes
benchmarks/results/drift.md: per column and window the false alarms (alarms before the drift day), the
detection delay (days from the drift day to the first alarm on or after it), the alarms in the four
weeks from the drift day, and the false alarms after it: alarms whose reference window lies wholly after
the drift day (Black Friday and December fall there: event swings). Goal: the first alarm within one
day of the drift day, none before it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from emporium.config import PROJECT_ROOT, load_settings
from emporium.engine import connect, fetch_all

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "drift.md"


def main() -> int:
    settings = load_settings()
    drift_day = dt.date.fromisoformat(
        json.loads((settings.truth_dir / "drift.json").read_text())["drift_date"]
    )
    with connect(settings) as connection:
        rows = fetch_all(
            connection,
            "select column_name, window_days, report_date, alarm, effect_name, threshold, reference_from,"
            " statistic"
            " from ml.drift_reports order by column_name, window_days, report_date",
        )
    series: dict[tuple[str, int], list[tuple]] = {}
    tests = {}
    for column, window, day, alarm, effect, threshold, reference_from, test in rows:
        series.setdefault((column, window), []).append((day, alarm, effect, threshold, reference_from))
        tests[column] = test
    days = sorted({row[2] for row in rows})
    lines = [
        "# Drift monitor against the planted drift",
        "",
        f"`benchmarks/drift_benchmark.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: ml.drift_reports of the "
        f"main job's world ({settings.warehouse_path.name}; reports {days[0]} .. {days[-1]}, {len(days)} days), "
        f"planted drift day {drift_day} (_truth/drift.json). Alarm: the test's p < alpha and effect >= threshold. "
        f"Load average when written: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared with "
        "other jobs).",
        "",
        "| column | window (days) | test | effect (threshold) | false alarms (before the drift day) "
        "| detection delay (days) | alarms in the 28 days from the drift day "
        "| false alarms after (reference wholly after the drift day) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first_alarms = []
    false_alarms = 0
    for (column, window), points in sorted(series.items()):
        before = sum(1 for day, alarm, *_ in points if alarm and day < drift_day)
        after = [day for day, alarm, *_ in points if alarm and day >= drift_day]
        soon = sum(1 for day in after if day < drift_day + dt.timedelta(days=28))
        later = sum(1 for day, alarm, *_, reference_from in points if alarm and reference_from >= drift_day)
        delay = (after[0] - drift_day).days if after else None
        false_alarms += before
        if after:
            first_alarms.append(after[0])
        effect, threshold = points[0][2], points[0][3]
        lines.append(f"| {column} | {window} | {tests[column]} | {effect} (>= {threshold}) | {before} | "
                     f"{'none' if delay is None else delay} | {soon} | {later} |")  # fmt: skip
    first = min(first_alarms) if first_alarms else None
    met = first is not None and (first - drift_day).days <= 1 and false_alarms == 0
    lines += [
        "",
        f"First alarm: **{first}** ({'none' if first is None else (first - drift_day).days} day(s) after the drift "
        f"day); false alarms before it: **{false_alarms}**. Goal (first alarm within one day, none before): "
        f"{'met' if met else 'NOT met'}.",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(RESULTS.read_text())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
