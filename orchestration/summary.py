"""The main job's closing summary: rows per layer, quarantined rows by reason, landing files rejected and rows
held for a parent (both: nothing lost silently), revenue against the truth."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tabulate import tabulate

from emporium.config import Settings
from emporium.engine import connect, fetch_all, list_tables
from ingest.rejections import open_rejections
from ingest.report import FileIssue

LAYERS = ("bronze", "silver", "gold", "ml")


@dataclass
class Summary:
    rows_per_layer: list[tuple[str, int, int]] = field(default_factory=list)  # layer, relations, rows
    quarantine: list[tuple[str, str, int]] = field(default_factory=list)  # entity, reason, rows
    rejected_files: list[FileIssue] = field(default_factory=list)  # open rejections: left out of raw
    held: list[tuple[str, str, int]] = field(default_factory=list)  # entity, parent waited for, rows
    revenue_warehouse: Decimal = Decimal("0")
    revenue_truth: Decimal | None = None
    days_off: list[str] = field(default_factory=list)

    @property
    def revenue_matches_truth(self) -> bool:
        return self.revenue_truth is not None and not self.days_off


def read_truth_revenue(truth_dir: Path) -> dict[str, Decimal]:
    with (truth_dir / "daily_revenue.csv").open(newline="", encoding="utf-8") as handle:
        return {row["revenue_date"]: Decimal(row["net_revenue"]) for row in csv.DictReader(handle)}


def collect(settings: Settings) -> Summary:
    summary = Summary()
    with connect(settings) as connection:
        for layer in LAYERS:
            tables = list_tables(connection, layer)
            rows = sum(fetch_all(connection, f"select count(*) from {layer}.{t}")[0][0] for t in tables)
            summary.rows_per_layer.append((layer, len(tables), rows))
        for table in list_tables(connection, "bronze"):
            if table.startswith("quarantine_"):
                counts = fetch_all(
                    connection, f"select reason, count(*) from bronze.{table} group by reason order by reason"
                )
                entity = table.removeprefix("quarantine_")
                summary.quarantine += [(entity, reason, count) for reason, count in counts]
        summary.rejected_files = open_rejections(connection)
        for table in list_tables(connection, "silver"):
            if table.startswith("held_"):
                counts = fetch_all(
                    connection, f"select parent_entity, count(*) from silver.{table} group by 1 order by 1"
                )
                summary.held += [(table.removeprefix("held_"), parent, count) for parent, count in counts]
        daily = {
            str(day): Decimal(str(net))
            for day, net in fetch_all(
                connection, "select revenue_date, net_revenue from gold.mart_daily_revenue"
            )
        }
    summary.revenue_warehouse = sum(daily.values(), Decimal("0"))
    truth_file = settings.truth_dir / "daily_revenue.csv"
    if truth_file.exists():
        truth = read_truth_revenue(settings.truth_dir)
        summary.revenue_truth = sum(truth.values(), Decimal("0"))
        summary.days_off = sorted(d for d in truth.keys() | daily.keys() if truth.get(d) != daily.get(d))
    return summary


def render(summary: Summary) -> str:
    parts = [
        "Rows per layer",
        tabulate(summary.rows_per_layer, headers=["layer", "relations", "rows"], intfmt=","),
        "",
        "Quarantined rows by reason",
        tabulate(summary.quarantine or [("-", "-", 0)], headers=["entity", "reason", "rows"], intfmt=","),
        "",
        "Landing files rejected (left out of raw until a corrected file is re-sent)",
        _rejected(summary.rejected_files),
        "",
        "Rows held for a parent that has not arrived (silver.held_<entity>)",
        tabulate(summary.held or [("-", "-", 0)], headers=["entity", "waiting for", "rows"], intfmt=","),
        "",
        "Net revenue, gold vs truth",
    ]
    truth = "n/a" if summary.revenue_truth is None else f"{summary.revenue_truth:,.2f}"
    verdict = "MATCH" if summary.revenue_matches_truth else f"MISMATCH on {len(summary.days_off)} day(s)"
    parts.append(
        tabulate(
            [(f"{summary.revenue_warehouse:,.2f}", truth, verdict)],
            headers=["gold.mart_daily_revenue", "_truth/daily_revenue.csv", "check"],
            disable_numparse=True,
        )
    )
    if summary.days_off:
        parts.append("first days off: " + ", ".join(summary.days_off[:5]))
    return "\n".join(parts)


def _rejected(issues: list[FileIssue]) -> str:
    if not issues:
        return "none"
    rows = [(i.file, "" if i.line is None else i.line, i.problem) for i in issues]
    return f"{len(issues)} problem(s) OPEN\n" + tabulate(
        rows, headers=["file", "line", "problem"], disable_numparse=True
    )
