"""The gate checks as declared: static, addressable, and never a copy of a dbt test (no warehouse needed)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import pytest

from emporium.config import PROJECT_ROOT
from quality.gates import GateCheck, SuiteParams, gate_checks
from quality.suites import (
    ACCOUNTING,
    DISTRIBUTION,
    FRESHNESS,
    KINDS,
    LAYERS,
    RANGE,
    RECONCILIATION,
    SCHEMA,
)
from quality.suites.dbt_docs import ModelDoc, model_docs

DAGSTER_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# The dbt tests that would state the same property as a check of each kind, on the same model and column.
SAME_PROPERTY = {
    RANGE: {"expression_is_true", "accepted_values", "accepted_contract_values"},
    RECONCILIATION: {"expression_is_true"},
    DISTRIBUTION: {"accepted_values", "accepted_contract_values"},
    FRESHNESS: set(),
    ACCOUNTING: set(),
    SCHEMA: set(),  # a contract, see test_schema_checks_only_where_no_contract_is_enforced
}
DBT_TEST_NAMES = {
    "not_null",
    "unique",
    "relationships",
    "accepted_values",
    "accepted_contract_values",
    "unique_combination_of_columns",
}


@pytest.fixture(scope="module")
def docs() -> dict[str, ModelDoc]:
    return model_docs()


def duplicated_dbt_tests(check: GateCheck, docs: dict[str, ModelDoc]) -> list[str]:
    """The dbt tests on the check's model that state the same property on one of its columns."""
    same = SAME_PROPERTY[check.kind] | ({"not_null"} if "null" in check.name else set())
    return [
        f"{test.name}({', '.join(test.columns)})"
        for test in docs[check.table].tests
        if test.name in same and set(test.columns) & set(check.columns)
    ]


@pytest.mark.parametrize("layer", LAYERS)
def test_checks_are_static_and_addressable(layer: str, docs: dict[str, ModelDoc]) -> None:
    checks = gate_checks(layer)
    assert checks and checks == gate_checks(layer, docs)
    keys = [(c.relation, c.name) for c in checks]
    assert len(keys) == len(set(keys)), "a check name is repeated on a relation"
    for check in checks:
        assert check.layer == layer and check.table in docs, check
        assert DAGSTER_NAME.match(check.name) and check.severity in ("error", "warn"), check
        assert check.kind in KINDS and check.description, check
        documented = {c.name for c in docs[check.table].columns}
        assert set(check.columns) <= documented, (check, set(check.columns) - documented)
        assert (check.sql is None) == (check.kind == ACCOUNTING), check


@pytest.mark.parametrize("layer", LAYERS)
def test_run_parameters_change_values_not_the_set_of_checks(layer: str) -> None:
    one = SuiteParams(date(2025, 1, 1), date(2025, 2, 9))
    other = SuiteParams(date(2024, 6, 1), date(2025, 3, 1), loaded_through=date(2025, 2, 20))
    for check in gate_checks(layer):
        if check.kind == ACCOUNTING:
            continue
        first, second = check.query(one), check.query(other)
        assert first and second and "$" not in first, check
        assert (first != second) == check.needs_landing_days, check
        if check.needs_landing_days:
            assert check.query(SuiteParams()) is None  # recorded as not evaluated, still one outcome


@pytest.mark.parametrize("layer", LAYERS)
def test_no_check_repeats_a_dbt_test(layer: str, docs: dict[str, ModelDoc]) -> None:
    for check in gate_checks(layer, docs):
        assert check.kind not in DBT_TEST_NAMES
        assert duplicated_dbt_tests(check, docs) == [], check


def test_the_duplicate_finder_finds_a_copied_dbt_test(docs: dict[str, ModelDoc]) -> None:
    """The test above can fail: a range check on a column dbt already bounds is reported."""
    copied = GateCheck(
        "bronze.stg_shop__payments", "amount_non_negative", "error", "amount >= 0", RANGE, ("amount",)
    )
    assert duplicated_dbt_tests(copied, docs) == ["expression_is_true(amount)"]
    nulls = GateCheck(
        "silver.orders", "status_nulls", "warn", "few null statuses", DISTRIBUTION, ("order_status",)
    )
    assert duplicated_dbt_tests(nulls, docs) == [
        "not_null(order_status)",
        "accepted_contract_values(order_status)",
    ]


def test_the_drifted_copy_of_the_yaml_is_gone(docs: dict[str, ModelDoc]) -> None:
    """gold.py used to repeat the YAML's relationship of fct_sessions.channel_code (as a warning; dbt errors)."""
    assert any(
        t.name == "relationships" for t in docs["fct_sessions"].tests if t.columns == ("channel_code",)
    )
    assert not [c for c in gate_checks("gold", docs) if "channel_code" in c.columns]


def test_schema_checks_only_where_no_contract_is_enforced(docs: dict[str, ModelDoc]) -> None:
    schema = {c.relation for layer in LAYERS for c in gate_checks(layer, docs) if c.kind == SCHEMA}
    expected = {
        f"{m.folder}.{m.name}"
        for m in docs.values()
        if m.folder in ("bronze", "silver") and not m.contract_enforced
    }
    assert schema == expected and len(expected) > 30
    gold = [m for m in docs.values() if m.folder == "gold"]
    assert gold and all(m.contract_enforced for m in gold)


def test_declaring_the_checks_does_not_load_great_expectations() -> None:
    """The orchestrator declares the checks when it loads its definitions: that must stay cheap."""
    code = (
        "import sys; from quality.gates import gate_checks; "
        "n = sum(len(gate_checks(layer)) for layer in ('bronze', 'silver', 'gold')); "
        "assert 'great_expectations' not in sys.modules, 'GX imported'; print(n)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == sum(len(gate_checks(layer)) for layer in LAYERS)
