"""The truth files agree with what was actually written, recomputed independently from the files."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from gen_landing_io import defect_log, read_rows, truth_csv, valid_rows
from gen_support import PARAMS

from emporium.contract import ENTITIES

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TS_PATTERN = "%Y-%m-%d %H:%M:%S"


def _row_counts(landing: Path) -> dict[str, dict[str, int]]:
    return {
        r["entity"]: {k: int(v) for k, v in r.items() if k != "entity"}
        for r in truth_csv(landing, "row_counts.csv")
    }


def test_row_counts_add_up_and_match_the_files(landing: Path) -> None:
    counts = _row_counts(landing)
    assert set(counts) == {e.name for e in ENTITIES}
    for entity in ENTITIES:
        c = counts[entity.name]
        assert c["raw_rows"] == c["clean_rows"] + c["collapsed_rows"] + c["quarantined_rows"], entity.name
        assert c["raw_rows"] == len(read_rows(landing, entity.name)), entity.name
    assert counts["orders"]["collapsed_rows"] > counts["orders"]["clean_rows"]  # status history collapses


def test_clean_rows_are_the_distinct_valid_keys(landing: Path) -> None:
    counts = _row_counts(landing)
    for entity in ENTITIES:
        keys = {str(r[entity.key]) for r in valid_rows(landing, entity.name, entity.key)}
        assert len(keys) == counts[entity.name]["clean_rows"], entity.name


def test_defect_log_quarantine_counts_match_row_counts(landing: Path) -> None:
    log = defect_log(landing)
    per_entity = Counter(r["entity"] for r in log if r["outcome"] == "quarantine")
    counts = _row_counts(landing)
    assert sum(per_entity.values()) > 0
    for entity in ENTITIES:
        assert per_entity[entity.name] == counts[entity.name]["quarantined_rows"], entity.name
    kinds = {r["defect"] for r in log}
    assert {"exact_duplicate", "late_arrival", "missing_key", "invalid_timestamp", "malformed_json"} <= kinds
    assert all((Path(landing) / r["source_file"]).is_file() for r in log)


def _latest(rows: list[dict[str, object]], key: str) -> dict[str, dict[str, object]]:
    current: dict[str, dict[str, object]] = {}
    for row in rows:
        k = str(row[key])
        if k not in current or str(row["updated_at"]) > str(current[k]["updated_at"]):
            current[k] = row
    return current


def test_daily_revenue_recomputed_from_the_files(landing: Path) -> None:
    orders = _latest(valid_rows(landing, "orders", "order_id"), "order_id")
    kept = {k: str(o["ordered_at"])[:10] for k, o in orders.items() if o["order_status"] != "cancelled"}
    items = _latest(valid_rows(landing, "order_items", "order_item_id"), "order_item_id")
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 5)
    for order_day in kept.values():
        expected[order_day][0] += 1
    for item in items.values():
        day = kept.get(str(item["order_id"]))
        if day is None:
            continue
        qty = int(str(item["quantity"]))
        expected[day][1] += qty
        expected[day][2] += qty * Decimal(str(item["unit_price"]))
        expected[day][3] += Decimal(str(item["discount_amount"]))
    for ret in _latest(valid_rows(landing, "returns", "return_id"), "return_id").values():
        if ret["refunded_at"]:
            expected[str(ret["refunded_at"])[:10]][4] += Decimal(str(ret["refund_amount"]))

    truth = truth_csv(landing, "daily_revenue.csv")
    assert [r["revenue_date"] for r in truth] == [PARAMS.date_of(d).isoformat() for d in range(PARAMS.days)]
    assert sum(int(r["orders"]) for r in truth) > 50
    for row in truth:
        orders_n, items_n, gross, discount, refund = expected[row["revenue_date"]]
        assert int(row["orders"]) == orders_n
        assert int(row["items"]) == items_n
        assert Decimal(row["gross_revenue"]) == gross
        assert Decimal(row["discount_amount"]) == discount
        assert Decimal(row["net_revenue"]) == gross - discount
        assert Decimal(row["refund_amount"]) == refund


def test_valid_emails_match_the_rule_and_malformed_ones_do_not(landing: Path) -> None:
    valid = valid_rows(landing, "customers", "customer_id")
    assert valid and all(EMAIL.match(str(r["email"]).strip().lower()) for r in valid)
    malformed = {r["record_key"] for r in defect_log(landing) if r["defect"] == "malformed_email"}
    broken = [r for r in read_rows(landing, "customers") if str(r["customer_id"]) in malformed]
    assert broken and not any(EMAIL.match(str(r["email"]).strip().lower()) for r in broken)


def _parse(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.strptime(str(value), TS_PATTERN)
    except ValueError:
        return None


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.name)
def test_no_valid_timestamp_is_after_its_landing_day(landing: Path, entity) -> None:
    checked = 0
    for row in valid_rows(landing, entity.name, entity.key):
        for column in entity.timestamps:
            if row.get(column) in (None, ""):
                continue
            stamp = _parse(row[column])
            assert stamp is not None, (entity.name, column, row[column])
            assert stamp.date().isoformat() <= row["_landing_date"], (entity.name, column, row)
            checked += 1
    assert checked > 0 or entity.name in ("returns", "campaigns", "support_tickets")


def test_future_timestamps_are_really_in_the_future(landing: Path) -> None:
    future = {
        (r["entity"], r["record_key"]) for r in defect_log(landing) if r["defect"] == "timestamp_in_future"
    }
    assert future
    orders = [r for r in read_rows(landing, "orders") if ("orders", str(r["order_id"])) in future]
    assert orders and all(str(r["updated_at"])[:10] > r["_landing_date"] for r in orders)


def test_noise_only_touches_fields_silver_cleans(landing: Path) -> None:
    codes = {r["country_code"] for r in csv.DictReader((landing.parent / "seeds" / "countries.csv").open())}
    rows = valid_rows(landing, "orders", "order_id")
    raw_codes = {str(r["shipping_country_code"]) for r in rows}
    assert {c.strip().upper() for c in raw_codes} <= codes
    assert raw_codes - codes, "some noise expected at this size"
    assert {str(r["order_status"]) for r in rows} <= {
        "placed",
        "paid",
        "shipped",
        "delivered",
        "cancelled",
        "returned",
    }


def test_experiment_campaign_and_drift_truth(landing: Path) -> None:
    truth = landing / "_truth"
    experiment = json.loads((truth / "experiment.json").read_text())
    campaign = json.loads((truth / "campaign.json").read_text())
    drift = json.loads((truth / "drift.json").read_text())
    manifest = json.loads((truth / "manifest.json").read_text())
    assert experiment["experiment_id"] == 1 and experiment["true_absolute_effect"] > 0
    naive = campaign["naive"]
    assert naive["contacted_rate"] - naive["not_contacted_rate"] == pytest.approx(
        naive["difference"], abs=1e-5
    )
    assert naive["difference"] > 0 and campaign["true_uplift"] == 0.06
    assert drift["drift_date"] == manifest["drift_date"] == "2025-01-26"
    churn = truth_csv(landing, "customer_churn.csv")
    assert len(churn) == len({str(r["customer_id"]) for r in valid_rows(landing, "customers", "customer_id")})
    assert all((r["churned"] == "true") == bool(r["churned_on"]) for r in churn)


def test_fields_without_noise_are_written_exactly(landing: Path) -> None:
    customers = valid_rows(landing, "customers", "customer_id")
    for column in ("street_address", "city", "postal_code", "loyalty_tier"):
        assert all(str(r[column]) == " ".join(str(r[column]).split()) for r in customers), column
    noisy = {
        r["record_key"]
        for r in defect_log(landing)
        if r["entity"] == "customers" and r["defect"] == "whitespace_case_noise"
    }
    quiet = [r for r in customers if str(r["customer_id"]) not in noisy]
    assert quiet and all(r["email"] == str(r["email"]).strip().lower() for r in quiet)
