"""The layer gates on the tiny warehouse (built and gated by the main job) and on corrupted copies of it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import duckdb
import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from quality.accounting import account
from quality.gates import Gatekeeper, data_docs_index, gate_checks, run_gate
from quality.results import ExpectationOutcome, GateResult
from quality.suites import LAYERS, SuiteParams


def _execute(settings: Settings, *statements: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        for statement in statements:
            connection.execute(statement)


def _failed(result: GateResult) -> set[tuple[str, str]]:
    return {(o.relation, o.check_name) for o in result.failures}


def _outcome(result: GateResult, relation: str, check_name: str) -> ExpectationOutcome:
    (outcome,) = result.outcomes_by_check()[(relation, check_name)]
    return outcome


def _declared(layer: str) -> dict[tuple[str, str], str]:
    return {(c.relation, c.name): c.severity for c in gate_checks(layer)}


def _validation_pages(settings: Settings, relation: str) -> list[str]:
    folder = data_docs_index(settings).parent / "validations" / relation.replace(".", "/")
    return sorted(str(p) for p in folder.rglob("*.html"))


def test_clean_warehouse_passed_every_gate_and_recorded_every_check(tiny_warehouse: Settings) -> None:
    """The main job gated each layer of the tiny warehouse: one gate_results row per declared check."""
    with duckdb.connect(str(tiny_warehouse.warehouse_path), read_only=True) as connection:
        # the build's gate run: the first one recorded (other tests gate private copies)
        ((run_id,),) = connection.execute(
            "select run_id from quality.gate_results order by validated_at limit 1"
        ).fetchall()
        rows = connection.execute(
            "select layer, suite, check_name, severity, success from quality.gate_results where run_id = ?",
            [run_id],
        ).fetchall()
        columns = [r[0] for r in connection.execute("describe quality.gate_results").fetchall()]
    assert "check_name" in columns
    for layer in LAYERS:
        recorded = [(suite, name, severity) for lay, suite, name, severity, _ in rows if lay == layer]
        assert sorted(recorded) == sorted((*key, severity) for key, severity in _declared(layer).items())
    assert [r for r in rows if r[3] == "error" and not r[4]] == []
    assert data_docs_index(tiny_warehouse).is_file()
    # every layer's results are in the Data Docs, whichever process gated it
    for relation in ("bronze.stg_shop__orders", "silver.orders", "gold.fct_orders"):
        assert len(_validation_pages(tiny_warehouse, relation)) == 1, relation


def test_every_outcome_maps_to_exactly_one_declared_check(warehouse_copy: Settings) -> None:
    keeper = Gatekeeper(warehouse_copy)
    for layer in LAYERS:
        result = keeper.run_gate(layer, "mapping")
        assert result.passed, result.render()
        by_check = result.outcomes_by_check()
        assert by_check.keys() == _declared(layer).keys()
        assert all(len(outcomes) == 1 for outcomes in by_check.values())
        assert {k: o.severity for k, (o,) in by_check.items()} == _declared(layer)
        # The gate let go of the warehouse: another process (dbt, between the gates) can write to it.
        probe = f"import duckdb; duckdb.connect({str(warehouse_copy.warehouse_path)!r}).execute('checkpoint')"
        assert subprocess.run([sys.executable, "-c", probe], capture_output=True, check=False).returncode == 0
    # Gated again: Data Docs keep the latest result per relation only.
    keeper.run_gate("silver", "mapping-again")
    pages = _validation_pages(warehouse_copy, "silver.orders")
    assert len(pages) == 1 and "mapping-again" in pages[0]
    assert len(_validation_pages(warehouse_copy, "gold.fct_orders")) == 1


def test_gold_gate_catches_an_invented_order(warehouse_copy: Settings) -> None:
    """An order that is in no other relation, with a net amount off by one: only GX's reconciliations see it
    (its key is unique and its customer, date and channel exist, so dbt's tests pass)."""
    _execute(
        warehouse_copy,
        "insert into gold.fct_orders select * replace (order_id + 1000000 as order_id, net_amount + 1 as net_amount) "
        "from gold.fct_orders where not is_cancelled and line_count > 0 order by order_id limit 1",
    )
    result = run_gate(warehouse_copy, "gold", "corrupt-gold")
    assert not result.passed
    assert _failed(result) == {
        ("gold.fct_orders", "rows_match_silver_orders"),
        ("gold.fct_orders", "totals_match_fct_order_items"),
        ("gold.fct_orders", "net_is_gross_minus_discount"),
        ("gold.mart_daily_revenue", "totals_match_facts"),
        ("gold.mart_customer_rfm", "totals_match_fct_orders"),
    }
    invented = _outcome(result, "gold.fct_orders", "rows_match_silver_orders")
    assert invented.severity == "error" and invented.rows_failed == 1
    assert "rows_here=1" in invented.observed and "rows_there=None" in invented.observed
    assert _outcome(result, "gold.fct_orders", "net_is_gross_minus_discount").rows_failed == 1
    text = result.render()
    assert "FAILED" in text and "rows_match_silver_orders" in text and "gold.mart_daily_revenue" in text


def test_warn_failures_are_recorded_but_do_not_fail_the_gate(warehouse_copy: Settings) -> None:
    _execute(warehouse_copy, "update silver.customers set phone = null")
    result = run_gate(warehouse_copy, "silver", "warn-only")
    assert _failed(result) == {("silver.customers", "optional_null_share_as_in_bronze")}
    warning = _outcome(result, "silver.customers", "optional_null_share_as_in_bronze")
    assert warning.severity == "warn" and "phone" in warning.observed
    assert result.passed, result.render()
    assert "PASSED" in result.render() and "optional_null_share_as_in_bronze" in result.render()
    with duckdb.connect(str(warehouse_copy.warehouse_path), read_only=True) as connection:
        rows = connection.execute(
            "select severity, success, rows_failed from quality.gate_results "
            "where run_id = 'warn-only' and suite = 'silver.customers' "
            "and check_name = 'optional_null_share_as_in_bronze'"
        ).fetchall()
    assert rows == [("warn", False, 1)]


def test_silver_gate_accounts_for_every_row_and_bounds_event_times(warehouse_copy: Settings) -> None:
    _execute(
        warehouse_copy,
        "update silver.payments set paid_at = timestamp '2099-01-01 00:00:00' "
        "where payment_id = (select min(payment_id) from silver.payments)",
        "delete from silver.customers where customer_id = (select max(customer_id) from silver.customers)",
        # a payment that has waited for its order since long before the newest landing day
        "insert into silver.held_payments by name select -1 as payment_id, 'orders' as parent_entity, "
        "-1 as parent_key, date '2000-01-01' as _landing_date",
    )
    accounting = {a.entity: a for a in account(warehouse_copy)}
    assert accounting["customers"].difference == 1 and accounting["payments"].difference == -1
    assert all(a.balanced for e, a in accounting.items() if e not in ("customers", "payments"))
    result = run_gate(warehouse_copy, "silver", "corrupt-silver")
    assert not result.passed
    assert _failed(result) == {
        ("silver.customers", "row_accounting"),
        ("silver.payments", "row_accounting"),
        ("silver.int_customers__history", "one_current_version_per_key"),
        ("silver.payments", "within_landing_range"),
        ("silver.held_payments", "rows_held_over_7_days"),
    }
    unbalanced = _outcome(result, "silver.customers", "row_accounting")
    c = accounting["customers"]
    assert unbalanced.severity == "error" and unbalanced.rows_failed == 1
    for number in (c.raw_rows, c.silver_rows, c.collapsed_rows, c.quarantined_rows):
        assert str(number) in unbalanced.observed
    late = _outcome(result, "silver.payments", "within_landing_range")
    assert late.rows_failed == 1 and "2099-01-01" in late.observed
    stuck = _outcome(result, "silver.held_payments", "rows_held_over_7_days")
    assert stuck.severity == "warn" and stuck.rows_failed == 1 and "2000-01-01" in stuck.observed


def test_freshness_and_landing_range_follow_the_run(warehouse_copy: Settings) -> None:
    keeper = Gatekeeper(warehouse_copy)
    landed = SuiteParams.from_landing(warehouse_copy.landing_dir)
    assert landed.start and landed.end
    # The run says it loaded five days more than the warehouse holds: the facts are stale.
    stale = keeper.run_gate(
        "gold", "stale", params=replace(landed, loaded_through=landed.end + timedelta(days=5))
    )
    assert _failed(stale) == {
        ("gold.fct_orders", "fresh_within_1_day"),
        ("gold.fct_sessions", "fresh_within_1_day"),
    }
    assert not stale.passed
    # A landing zone ten days shorter than the warehouse: event dates beyond it.
    short = keeper.run_gate(
        "gold", "short", params=SuiteParams(landed.start, landed.end - timedelta(days=10))
    )
    assert ("gold.dim_date", "within_landing_range") in _failed(short)
    assert {name for _, name in _failed(short)} == {"within_landing_range"}
    # No landing days at all: those checks are recorded as not evaluated, every declared check still answers.
    blind = keeper.run_gate("gold", "blind", params=SuiteParams())
    assert blind.passed and blind.outcomes_by_check().keys() == _declared("gold").keys()
    assert _outcome(blind, "gold.fct_orders", "fresh_within_1_day").observed.startswith("not evaluated")


def test_bronze_gate_catches_schema_drift_and_a_quarantine_surge(warehouse_copy: Settings) -> None:
    _execute(
        warehouse_copy,
        "alter table bronze.stg_shop__orders add column surprise integer",
        "insert into bronze.quarantine_customers select q.* from bronze.quarantine_customers q, range(50)",
    )
    result = run_gate(warehouse_copy, "bronze", "corrupt-bronze")
    assert not result.passed
    assert _failed(result) == {
        ("bronze.stg_shop__orders", "columns_match_docs"),
        ("bronze.quarantine_customers", "quarantine_share_at_most_10_percent"),
    }
    assert "surprise" in _outcome(result, "bronze.stg_shop__orders", "columns_match_docs").observed
    surge = _outcome(result, "bronze.quarantine_customers", "quarantine_share_at_most_10_percent")
    assert surge.severity == "error", "blocking, as its name promises"


@pytest.mark.postgres
@pytest.mark.full  # the Postgres warehouse's own Dagster build already ran these gates (tests/conftest.py)
def test_gates_run_against_postgres_too(postgres_warehouse: Settings) -> None:
    keeper = Gatekeeper(postgres_warehouse)
    results = {layer: keeper.run_gate(layer, "on-postgres") for layer in LAYERS}
    for layer, result in results.items():
        assert result.passed, result.render()
        assert result.outcomes_by_check().keys() == _declared(layer).keys()
    accounting = [o for o in results["silver"].outcomes if o.check_name == "row_accounting"]
    assert accounting and all(o.success and "balances" in o.observed for o in accounting)
    with connect(postgres_warehouse) as connection:
        counts = dict(
            fetch_all(
                connection,
                "select layer, count(check_name) from quality.gate_results where run_id = %s group by layer",
                ("on-postgres",),
            )
        )
    assert counts == {layer: len(result.outcomes) for layer, result in results.items()}
