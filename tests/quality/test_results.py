"""GateResult and the quality.gate_results table, without a warehouse build."""

from __future__ import annotations

from pathlib import Path

import duckdb

from quality.results import ExpectationOutcome, GateResult, write_results
from tests.support import settings_for


def _outcome(relation: str, check_name: str, severity: str, success: bool) -> ExpectationOutcome:
    return ExpectationOutcome(
        relation, check_name, "unexpected_rows_expectation", None, severity, success, "0"
    )


def test_outcomes_group_per_check_and_only_errors_fail_a_gate() -> None:
    first = _outcome("silver.orders", "within_landing_range", "error", True)
    second = _outcome("silver.orders", "fresh_within_1_day", "warn", False)
    third = _outcome("silver.customers", "row_accounting", "error", True)
    result = GateResult("silver", "r", outcomes=[first, second, third])
    assert result.outcomes_by_check() == {
        ("silver.orders", "within_landing_range"): [first],
        ("silver.orders", "fresh_within_1_day"): [second],
        ("silver.customers", "row_accounting"): [third],
    }
    assert result.passed and result.failures == [second]
    result.outcomes.append(_outcome("silver.customers", "row_accounting", "error", False))
    assert not result.passed and len(result.outcomes_by_check()[("silver.customers", "row_accounting")]) == 2
    assert "FAILED" in result.render() and "fresh_within_1_day" in result.render()


def test_an_older_results_table_gains_the_check_name_column(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute("create schema quality")
        connection.execute(
            "create table quality.gate_results (run_id varchar not null, layer varchar not null, "
            "suite varchar not null, expectation varchar not null, column_name varchar, severity varchar not null, "
            "success boolean not null, observed_value varchar, rows_failed bigint, validated_at timestamp not null)"
        )
        connection.execute(
            "insert into quality.gate_results values "
            "('old', 'silver', 'accounting.orders', 'row_accounting', null, 'error', true, 'ok', null, now())"
        )
    result = GateResult(
        "silver", "new", outcomes=[_outcome("silver.orders", "row_accounting", "error", True)]
    )
    assert write_results(settings, result) == 1
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        rows = connection.execute(
            "select run_id, suite, check_name from quality.gate_results order by run_id desc"
        ).fetchall()
    assert rows == [("old", "accounting.orders", None), ("new", "silver.orders", "row_accounting")]
