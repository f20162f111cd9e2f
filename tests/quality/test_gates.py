"""The layer gates on a clean warehouse and on corrupted copies of it."""

from __future__ import annotations

import duckdb
import pytest

from emporium.config import Settings
from emporium.engine import connect, fetch_all
from quality.accounting import account
from quality.gates import data_docs_index, run_gate
from quality.results import GateResult
from quality.suites import ENTITIES, LAYERS, SuiteParams, suites_for
from tests.support import TINY_RUN_ID


def _execute(settings: Settings, *statements: str) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        for statement in statements:
            connection.execute(statement)


def _failure(result: GateResult, suite: str, column: str | None = None, expectation: str | None = None):
    found = [
        f
        for f in result.failures
        if f.suite == suite
        and (column is None or f.column == column)
        and (expectation is None or f.expectation == expectation)
    ]
    assert found, f"no failure on {suite}.{column} in:\n{result.render()}"
    return found[0]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_expectation_has_a_severity(layer: str) -> None:
    tables = suites_for(layer, SuiteParams())
    assert tables
    for table in tables:
        for expectation in table.expectations:
            assert expectation.meta["severity"] in ("error", "warn"), (table.relation, expectation)


def test_clean_warehouse_passed_every_gate_and_recorded_every_result(tiny_warehouse: Settings) -> None:
    """The tiny warehouse was built through the gated pipeline (run id `tiny`): every layer's results are kept."""
    params = SuiteParams.from_landing(tiny_warehouse.landing_dir)
    expected = {layer: sum(len(t.expectations) for t in suites_for(layer, params)) for layer in LAYERS}
    expected["silver"] += len(ENTITIES)  # one row-accounting outcome per entity
    assert data_docs_index(tiny_warehouse).is_file()
    # The gates closed the warehouse: a writer can open it; gate_results holds one row per expectation.
    with duckdb.connect(str(tiny_warehouse.warehouse_path)) as connection:
        counts = dict(
            connection.execute(
                "select layer, count(*) from quality.gate_results where run_id = ? group by layer",
                [TINY_RUN_ID],
            ).fetchall()
        )
        failed_errors = connection.execute(
            "select suite, expectation from quality.gate_results"
            " where run_id = ? and not success and severity = 'error'",
            [TINY_RUN_ID],
        ).fetchall()
        accounting = connection.execute(
            "select suite from quality.gate_results where run_id = ? and expectation = 'row_accounting' order by 1",
            [TINY_RUN_ID],
        ).fetchall()
        columns = [r[0] for r in connection.execute("describe quality.gate_results").fetchall()]
    assert counts == expected
    assert failed_errors == []
    assert [suite for (suite,) in accounting] == sorted(f"accounting.{e}" for e in ENTITIES)
    assert columns == [
        "run_id",
        "layer",
        "suite",
        "expectation",
        "column_name",
        "severity",
        "success",
        "observed_value",
        "rows_failed",
        "validated_at",
    ]


def test_gold_gate_fails_on_a_duplicate_key_and_an_orphan_fact_row(warehouse_copy: Settings) -> None:
    _execute(
        warehouse_copy,
        "insert into gold.fct_orders select * replace ('no-such-customer' as customer_sk) "
        "from gold.fct_orders order by order_id limit 1",
    )
    result = run_gate(warehouse_copy, "gold", "corrupt-gold")
    assert not result.passed
    duplicate = _failure(result, "gold.fct_orders", "order_id", "expect_column_values_to_be_unique")
    orphan = _failure(result, "gold.fct_orders", "customer_sk", "unexpected_rows_expectation")
    assert duplicate.severity == orphan.severity == "error"
    assert duplicate.rows_failed == 2 and orphan.rows_failed == 1
    counts = [f for f in result.failures if "as many rows as silver.orders" in (f.description or "")]
    assert counts and counts[0].severity == "error" and counts[0].rows_failed == 1
    text = result.render()
    assert "gold.fct_orders" in text and "customer_sk" in text and "order_id" in text and "FAILED" in text


def test_warn_failures_are_recorded_but_do_not_fail_the_gate(warehouse_copy: Settings) -> None:
    _execute(warehouse_copy, "update gold.fct_sessions set channel_code = 'no_such_channel'")
    result = run_gate(warehouse_copy, "gold", "warn-only")
    warning = _failure(result, "gold.fct_sessions", "channel_code")
    assert warning.severity == "warn"
    assert result.passed, result.render()
    text = result.render()
    assert "PASSED" in text and "gold.fct_sessions" in text and "channel_code" in text
    with duckdb.connect(str(warehouse_copy.warehouse_path)) as connection:
        rows = connection.execute(
            "select severity, success, rows_failed from quality.gate_results "
            "where run_id = 'warn-only' and suite = 'gold.fct_sessions' and column_name = 'channel_code' "
            "and not success"
        ).fetchall()
    assert rows and rows[0][0] == "warn" and rows[0][2] > 0


def test_silver_gate_fails_on_a_negative_amount_and_an_unaccounted_row(warehouse_copy: Settings) -> None:
    _execute(
        warehouse_copy,
        "update silver.payments set amount = -1 where payment_id = (select min(payment_id) from silver.payments)",
        "delete from silver.customers where customer_id = (select max(customer_id) from silver.customers)",
    )
    accounting = {a.entity: a for a in account(warehouse_copy)}
    assert not accounting["customers"].balanced and accounting["customers"].difference == 1
    assert all(a.balanced for e, a in accounting.items() if e != "customers")
    result = run_gate(warehouse_copy, "silver", "corrupt-silver")
    assert not result.passed
    amount = _failure(result, "silver.payments", "amount")
    assert amount.severity == "error" and amount.rows_failed == 1 and "-1" in amount.observed
    unbalanced = _failure(result, "accounting.customers")
    c = accounting["customers"]
    assert unbalanced.severity == "error"
    for number in (c.raw_rows, c.silver_rows, c.collapsed_rows, c.quarantined_rows):
        assert str(number) in unbalanced.observed
    assert "customers" in result.render() and "silver.payments" in result.render()


@pytest.mark.postgres
def test_gates_run_against_postgres_too(postgres_warehouse: Settings) -> None:
    results = {layer: run_gate(postgres_warehouse, layer, "on-postgres") for layer in LAYERS}
    for layer, result in results.items():
        assert result.passed, result.render()
        assert len(result.outcomes) > 50, layer
    accounting = [o for o in results["silver"].outcomes if o.expectation == "row_accounting"]
    assert len(accounting) == len(ENTITIES) and all(o.success for o in accounting)
    with connect(postgres_warehouse) as connection:
        counts = dict(
            fetch_all(
                connection,
                "select layer, count(*) from quality.gate_results where run_id = %s group by layer",
                ("on-postgres",),
            )
        )
    assert counts == {layer: len(result.outcomes) for layer, result in results.items()}
