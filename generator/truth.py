"""The `_truth/` files: what a correct warehouse must report, computed from the simulated world and the
clean landed columns kept while the landing files were written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from generator import truth_campaign, truth_churn, truth_drift, truth_taste
from generator.config import Params
from generator.defects import LAND
from generator.simulate import marketing
from generator.simulate import orders as orders_sim
from generator.simulate.calendar import DAY_SECONDS
from generator.simulate.tables import Table
from generator.simulate.world import World
from generator.truth_io import write_csv, write_json, write_spooled_csv

RowCounts = dict[str, tuple[int, int, int, int]]  # entity -> raw, clean, collapsed, quarantined


def landed(table: Table, end_day: int) -> Table:
    keep = table[LAND] <= end_day
    return {name: values[keep] for name, values in table.items()}


def _money(cents: np.ndarray) -> list[str]:
    return [f"{'-' if c < 0 else ''}{abs(int(c)) // 100}.{abs(int(c)) % 100:02d}" for c in cents]


def daily_revenue(params: Params, epoch0: int, clean: dict[str, Table]) -> list[list[Any]]:
    """The contract's revenue definition over the current state of landed orders."""
    days = params.days
    orders = clean["orders"]
    latest = np.lexsort((orders["updated_at"], orders["order_id"]))
    ids = orders["order_id"][latest]
    is_last = np.append(ids[1:] != ids[:-1], True)
    current = {name: values[latest][is_last] for name, values in orders.items()}
    kept = current["order_status"] != orders_sim.STATUSES.index("cancelled")
    kept_ids = current["order_id"][kept]
    order_day = (current["ordered_at"][kept] - epoch0) // DAY_SECONDS

    items = clean["order_items"]
    pos = np.searchsorted(kept_ids, items["order_id"])
    pos = np.minimum(pos, max(len(kept_ids) - 1, 0))
    matched = (kept_ids[pos] == items["order_id"]) if len(kept_ids) else np.zeros(len(pos), bool)
    item_day = order_day[pos[matched]] if len(kept_ids) else np.zeros(0, np.int64)
    qty = items["quantity"][matched]
    gross = qty * items["unit_price"][matched]
    discount = items["discount_amount"][matched]

    returns = clean["returns"]
    refunded = returns["refunded_at"] >= 0
    refund_day = (returns["refunded_at"][refunded] - epoch0) // DAY_SECONDS
    in_range = refund_day < days

    def per_day(day: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(day, weights=weights, minlength=days)[:days].round().astype(np.int64)

    n_orders, n_items = per_day(order_day), per_day(item_day, qty)
    gross_d, discount_d = per_day(item_day, gross), per_day(item_day, discount)
    refund_d = per_day(refund_day[in_range], returns["refund_amount"][refunded][in_range])
    money = [_money(v) for v in (gross_d, discount_d, gross_d - discount_d, refund_d)]
    return [
        [params.date_of(d).isoformat(), int(n_orders[d]), int(n_items[d]), *(m[d] for m in money)]
        for d in range(days)
    ]


def _rate(mask: np.ndarray, converted: np.ndarray) -> tuple[int, float | None]:
    n = int(mask.sum())
    return n, (round(float(converted[mask].mean()), 6) if n else None)


def experiment_truth(params: Params, world: World, clean: dict[str, Table]) -> dict[str, Any]:
    s = world.sessions
    assignments = clean["experiment_assignments"]
    assigned_at = np.full(world.customers.n + 1, np.iinfo(np.int64).max)
    variant = np.full(world.customers.n + 1, "", dtype=object)
    assigned_at[assignments["customer_id"]] = assignments["assigned_at"]
    variant[assignments["customer_id"]] = assignments["variant"]
    first, last = (
        marketing.EXPERIMENT_START_DAY,
        marketing.EXPERIMENT_START_DAY + marketing.EXPERIMENT_DAYS - 1,
    )
    day = (s["start"] - world.epoch0) // DAY_SECONDS
    cid = np.where(s["customer"] >= 0, s["customer"] + 1, 0)
    eligible = (day >= first) & (day <= last) & (s["start"] >= assigned_at[cid]) & (cid > 0)
    n_c, r_c = _rate(eligible & (variant[cid] == "control"), s["converted"])
    n_t, r_t = _rate(eligible & (variant[cid] == "treatment"), s["converted"])
    return {
        "experiment_id": marketing.EXPERIMENT_ID,
        "start_date": params.date_of(first).isoformat(),
        "end_date": params.date_of(last).isoformat(),
        "metric": "session_conversion_rate",
        "metric_definition": (
            "share of web sessions (distinct session_id) of assigned customers, started at or after the "
            "customer's assigned_at and on a day from start_date to end_date, that contain a purchase event"
        ),
        "true_absolute_effect": marketing.EXPERIMENT_EFFECT,
        "assignment_share": {"control": 0.5, "treatment": 0.5},
        "assigned_customers": len(assignments["customer_id"]),
        "observed": {
            "control_sessions": n_c, "control_rate": r_c, "treatment_sessions": n_t, "treatment_rate": r_t,
            "difference": round(r_t - r_c, 6) if r_c is not None and r_t is not None else None,
        },
    }  # fmt: skip


def write_truth(
    truth_dir: Path,
    params: Params,
    world: World,
    clean: dict[str, Table],
    row_counts: RowCounts,
    defect_log: list[Path],  # the defect-log rows, in pieces (truth_io.csv_text)
) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    write_json(truth_dir / "manifest.json", params.to_manifest())
    write_csv(
        truth_dir / "row_counts.csv",
        ["entity", "raw_rows", "clean_rows", "collapsed_rows", "quarantined_rows"],
        [[name, *counts] for name, counts in row_counts.items()],
    )
    write_csv(
        truth_dir / "daily_revenue.csv",
        [
            "revenue_date",
            "orders",
            "items",
            "gross_revenue",
            "discount_amount",
            "net_revenue",
            "refund_amount",
        ],
        daily_revenue(params, world.epoch0, clean),
    )
    write_spooled_csv(
        truth_dir / "defect_log.csv", ["entity", "source_file", "record_key", "defect", "outcome"], defect_log
    )
    write_json(truth_dir / "experiment.json", experiment_truth(params, world, clean))
    truth_campaign.write(truth_dir, params, world)
    truth_churn.write(truth_dir, world, clean)
    truth_taste.write(truth_dir, world)
    truth_drift.write(truth_dir, params, world, clean)
