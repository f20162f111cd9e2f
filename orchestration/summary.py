"""The main job's closing summary: rows per layer, quarantined rows by reason, landing files rejected and rows
held for a parent (both: nothing lost silently), the revenue that waits on the rejected files, and revenue
against the truth, where a gap the rejected files explain is told apart from a real mismatch."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    waiting: list[Waiting] = field(default_factory=list)  # revenue that waits on rejected files
    revenue_warehouse: Decimal = Decimal("0")
    revenue_truth: Decimal | None = None
    days_off: list[str] = field(default_factory=list)
    days_unexplained: list[str] = field(default_factory=list)  # days off that no rejected file explains

    @property
    def revenue_matches_truth(self) -> bool:
        return self.revenue_truth is not None and not self.days_off

    @property
    def revenue_mismatch(self) -> bool:
        """Gold differs from the truth on a day the open rejections do not account for."""
        return self.revenue_truth is not None and bool(self.days_unexplained)


@dataclass
class Waiting:
    """Revenue missing from gold until the rejected files of one entity are re-sent."""

    entity: str  # the entity whose files are rejected
    files: list[str]
    orders: int  # orders whose revenue waits (held, or landed without their lines)
    net_revenue: Decimal | None  # None: in the rejected files themselves, unknown until they load
    days: dict[str, Decimal | None] = field(default_factory=dict)  # revenue_date -> amount (None: unknown)


# Net revenue (mart_daily_revenue's definition: lines of orders not cancelled, on the order's day) of the held
# order lines, by the entity whose rejected file they wait for: a line waits for its product, or for its order,
# which may itself be held for its customer (or sit in a rejected orders file: then its landing day stands in).
HELD_REVENUE = """
with held_lines as (
    select
        items.order_id,
        items.quantity * items.unit_price - items.discount_amount as net_amount,
        case
            when items.parent_entity = 'orders' then coalesce(held_orders.parent_entity, 'orders')
            else items.parent_entity
        end as waits_for,
        coalesce(
            cast(orders.ordered_at as date), cast(held_orders.ordered_at as date), cast(items._landing_date as date)
        ) as revenue_date,
        coalesce(orders.order_status, held_orders.order_status) as order_status
    from silver.held_order_items as items
    left join silver.orders as orders on items.order_id = orders.order_id
    left join silver.held_orders as held_orders on items.order_id = held_orders.order_id
)
select waits_for, revenue_date, count(distinct order_id), sum(net_amount)
from held_lines
where order_status is null or order_status <> 'cancelled'
group by 1, 2
"""
# Orders in silver without any line, by day: their lines are in a rejected order_items file of that day.
ORDERS_WITHOUT_LINES = """
select cast(ordered_at as date), count(*)
from silver.orders
where order_status <> 'cancelled'
    and order_id not in (select order_id from silver.order_items)
    and order_id not in (select order_id from silver.held_order_items)
group by 1
"""


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
        summary.waiting = _waiting(connection, summary.rejected_files)
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
        summary.days_unexplained = _unexplained(summary, truth, daily)
    return summary


def _waiting(connection: Any, rejected: list[FileIssue]) -> list[Waiting]:
    files: dict[str, list[FileIssue]] = {}
    for issue in rejected:
        files.setdefault(issue.entity, []).append(issue)
    if not files:
        return []
    waiting: dict[str, Waiting] = {}
    for entity, day, orders, amount in fetch_all(connection, HELD_REVENUE):
        if entity not in files:
            continue  # waiting for a parent that is late, not rejected: not these files' revenue
        item = waiting.setdefault(entity, Waiting(entity, _files(files[entity]), 0, Decimal("0")))
        item.orders += int(orders)
        item.net_revenue = (item.net_revenue or Decimal("0")) + Decimal(str(amount))
        item.days[str(day)] = Decimal(str(amount))
    line_days = {issue.landing_day for issue in files.get("order_items", []) if issue.landing_day}
    for day, orders in fetch_all(connection, ORDERS_WITHOUT_LINES):
        if dt.date.fromisoformat(str(day)[:10]) in line_days:
            item = waiting.setdefault(
                "order_items", Waiting("order_items", _files(files["order_items"]), 0, None)
            )
            item.orders += int(orders)
            item.days[str(day)[:10]] = None
    return sorted(waiting.values(), key=lambda w: w.entity)


def _files(issues: list[FileIssue]) -> list[str]:
    return sorted({issue.file for issue in issues})


def _unexplained(summary: Summary, truth: dict[str, Decimal], daily: dict[str, Decimal]) -> list[str]:
    """Days off that the waiting revenue does not explain. A day is explained when gold is short by exactly
    the held revenue of that day, or by at least that on a day whose order lines sit in a rejected file;
    a rejected orders file (a change feed) may also move any earlier day (a cancellation it carries)."""
    held: dict[str, Decimal] = {}
    unknown: set[str] = set()
    for item in summary.waiting:
        for day, amount in item.days.items():
            if amount is None:
                unknown.add(day)
            else:
                held[day] = held.get(day, Decimal("0")) + amount
    orders_files = [
        i.landing_day.isoformat() for i in summary.rejected_files if i.entity == "orders" and i.landing_day
    ]
    newest_orders_file = max(orders_files, default="")
    unexplained = []
    for day in summary.days_off:
        short = truth.get(day, Decimal("0")) - daily.get(day, Decimal("0"))
        expected = held.get(day, Decimal("0"))
        if short == expected or (day in unknown and short >= expected) or day <= newest_orders_file:
            continue
        unexplained.append(day)
    return unexplained


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
        "Net revenue waiting on rejected landing files (in gold once corrected files are re-sent)",
        _waiting_table(summary.waiting),
        "",
        "Net revenue, gold vs truth",
    ]
    truth = "n/a" if summary.revenue_truth is None else f"{summary.revenue_truth:,.2f}"
    parts.append(
        tabulate(
            [(f"{summary.revenue_warehouse:,.2f}", truth, _verdict(summary))],
            headers=["gold.mart_daily_revenue", "_truth/daily_revenue.csv", "check"],
            disable_numparse=True,
        )
    )
    if summary.days_unexplained:
        parts.append("first days off: " + ", ".join(summary.days_unexplained[:5]))
    return "\n".join(parts)


def _verdict(summary: Summary) -> str:
    if summary.revenue_truth is None:
        return "n/a"
    if summary.revenue_matches_truth:
        return "MATCH"
    if not summary.days_unexplained:
        return f"{len(summary.days_off)} day(s) off, all waiting on the rejected files above"
    return f"MISMATCH on {len(summary.days_unexplained)} day(s) no rejected file explains"


def _waiting_table(waiting: list[Waiting]) -> str:
    if not waiting:
        return "none"
    rows = [
        (
            "\n".join(item.files) or f"({item.entity})",
            f"{item.orders:,} orders",
            "in the rejected files" if item.net_revenue is None else f"{item.net_revenue:,.2f}",
        )
        for item in waiting
    ]
    return tabulate(rows, headers=["rejected files", "waiting", "net revenue"], disable_numparse=True)


def _rejected(issues: list[FileIssue]) -> str:
    if not issues:
        return "none"
    rows = [(i.file, "" if i.line is None else i.line, i.problem) for i in issues]
    return f"{len(issues)} problem(s) OPEN\n" + tabulate(
        rows, headers=["file", "line", "problem"], disable_numparse=True
    )
