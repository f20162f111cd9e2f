"""Expectation suites as code, one module per warehouse layer (bronze.py, silver.py, gold.py).

Every expectation carries `meta={"severity": "error" | "warn"}`: an `error` failure stops the pipeline, a
`warn` failure is recorded and the run goes on. Column names, types and required (not_null) columns come
from the dbt model docs beside the models (models/<layer>/_<layer>__models.yml), the same contract dbt
documents and enforces, so the suites never hold a third copy of it. Each table is validated through a GX
query asset (`select * from <schema>.<table>`): on DuckDB GX's table assets lose the schema while
reflecting columns, and a query asset still runs every metric as SQL inside the warehouse.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import great_expectations as gx
import yaml
from great_expectations.expectations import Expectation

from emporium.config import PROJECT_ROOT
from generator.entities import ENTITIES as CONTRACT

ERROR = "error"
WARN = "warn"
LAYERS = ("bronze", "silver", "gold")

# entity -> primary key, from the landing contract's Python form (generator/entities.py)
ENTITY_KEYS = {entity.name: entity.key for entity in CONTRACT}
ENTITIES = tuple(ENTITY_KEYS)

# docs/landing-zone.md, "Defects": the defects whose outcome is quarantine; bronze's `reason` is one of them.
QUARANTINE_REASONS = (
    "missing_key",
    "invalid_timestamp",
    "timestamp_in_future",
    "negative_quantity",
    "negative_amount",
    "unknown_product",
    "unknown_customer",
    "malformed_email",
    "malformed_json",
)

# docs/landing-zone.md, "Entities": the closed value sets.
VALUE_SETS = {
    "order_status": ["placed", "paid", "shipped", "delivered", "cancelled", "returned"],
    "payment_method": ["card", "paypal", "bank_transfer", "gift_card"],
    "payment_status": ["captured", "failed", "refunded"],
    "event_type": ["page_view", "product_view", "add_to_cart", "checkout", "purchase"],
    "device_type": ["desktop", "mobile", "tablet"],
    "variant": ["control", "treatment"],
    "loyalty_tier": ["standard", "silver_club", "gold_club", "platinum_club"],
}

# Timestamps of business events, which the generator only emits inside its date range (sign-up and product
# creation dates reach back before it, so they are not listed).
EVENT_TIMESTAMPS = (
    "ordered_at",
    "paid_at",
    "occurred_at",
    "contacted_at",
    "assigned_at",
    "opened_at",
    "requested_at",
    "refunded_at",
    "updated_at",
)
EVENT_DATES = ("order_date", "session_date", "revenue_date", "date_day")
NON_NEGATIVE_AMOUNTS = (
    "unit_price",
    "discount_amount",
    "amount",
    "refund_amount",
    "budget",
    "gross_amount",
    "net_amount",
)


@dataclass(frozen=True)
class SuiteParams:
    """Run-dependent bounds: the landing zone's first and last day (None: date-range checks are skipped)."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def from_landing(cls, landing_dir: Path) -> SuiteParams:
        days = sorted(
            date.fromisoformat(p.name.removeprefix("date="))
            for p in landing_dir.glob("*/date=*")
            if re.fullmatch(r"date=\d{4}-\d{2}-\d{2}", p.name)
        )
        return cls(days[0], days[-1]) if days else cls()


@dataclass
class TableSuite:
    """One warehouse relation and the expectations on it; `query` is the GX query asset's SQL."""

    layer: str
    table: str
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def query(self) -> str:
        return f"select * from {self.relation}"

    def add(self, severity: str, *expectations: Expectation, column: str | None = None) -> TableSuite:
        """Add with meta severity; `column` names the column of a query-based (UnexpectedRows) expectation."""
        for expectation in expectations:
            expectation.meta = {**(expectation.meta or {}), "severity": severity}
            if column:
                expectation.meta["column"] = column
            self.expectations.append(expectation)
        return self

    def suite(self) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=self.relation, expectations=list(self.expectations))


def severity_of(meta: dict[str, Any] | None) -> str:
    return (meta or {}).get("severity", ERROR)


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    data_type: str
    not_null: bool


@functools.cache
def documented_columns(layer: str) -> dict[str, tuple[ColumnDoc, ...]]:
    """model name -> its documented columns, from models/<layer>/_<layer>__models.yml."""
    path = PROJECT_ROOT / "models" / layer / f"_{layer}__models.yml"
    models = yaml.safe_load(path.read_text(encoding="utf-8"))["models"]
    return {
        model["name"]: tuple(
            ColumnDoc(
                column["name"],
                column.get("data_type", ""),
                any(test == "not_null" for test in column.get("data_tests", []) if isinstance(test, str)),
            )
            for column in model.get("columns", [])
        )
        for model in models
    }


def _type_family_sql(expression: str) -> str:
    # information_schema spells types differently on DuckDB (BIGINT, DECIMAL(18,2)) and Postgres (bigint,
    # numeric); compare families, which are what the models promise on both.
    t = f"lower({expression})"
    return (
        f"case when {t} in ('bigint', 'integer', 'int', 'smallint', 'hugeint', 'int8', 'int4') then 'integer'"
        f" when {t} like 'decimal%' or {t} like 'numeric%' then 'decimal'"
        f" when {t} in ('varchar', 'text', 'character varying', 'string') then 'text'"
        f" when {t} like 'timestamp%' then 'timestamp'"
        f" else {t} end"
    )


def _type_family(data_type: str) -> str:
    t = data_type.lower()
    if t in ("bigint", "integer", "int", "smallint", "hugeint"):
        return "integer"
    if t.startswith(("decimal", "numeric")):
        return "decimal"
    if t in ("varchar", "text", "string"):
        return "text"
    return "timestamp" if t.startswith("timestamp") else t


def add_contract(table: TableSuite, *, required: Iterable[str] = ()) -> TableSuite:
    """Schema (exact column set and type families) and completeness (documented not_null + `required`)."""
    columns = documented_columns(table.layer)[table.table]
    table.add(
        ERROR,
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=[c.name for c in columns], exact_match=True),
    )
    typed = [(c.name, _type_family(c.data_type)) for c in columns if c.data_type]
    if typed:
        expected = ", ".join(f"('{name}', '{family}')" for name, family in typed)
        table.add(
            ERROR,
            gx.expectations.UnexpectedRowsExpectation(
                description=f"column types of {table.relation} match the documented model contract",
                unexpected_rows_query=(
                    f"with expected(column_name, type_family) as (values {expected}), "
                    f"actual as (select column_name, {_type_family_sql('data_type')} as type_family "
                    "from information_schema.columns "
                    f"where table_schema = '{table.layer}' and table_name = '{table.table}') "
                    "select e.column_name, e.type_family as expected_type, a.type_family as actual_type "
                    "from expected e left join actual a on a.column_name = e.column_name "
                    "where (a.type_family is null or a.type_family <> e.type_family) "
                    # GX wants every query to name its batch; this clause is always true and costs nothing.
                    # With a JOIN in the query GX leaves aliasing {batch} to us (Postgres needs an alias).
                    "and not exists (select 1 from {batch} as batch_rows where 1 = 0)"
                ),
            ),
        )
    wanted = {c.name for c in columns if c.not_null} | set(required)
    for column in [c.name for c in columns if c.name in wanted]:
        table.add(ERROR, gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    return table


def add_values(table: TableSuite, severity: str, params: SuiteParams) -> TableSuite:
    """Ranges and value sets for every documented column that has one."""
    names = {c.name for c in documented_columns(table.layer)[table.table]}
    for column, values in VALUE_SETS.items():
        if column in names:
            table.add(severity, gx.expectations.ExpectColumnValuesToBeInSet(column=column, value_set=values))
    for column in ("quantity",):
        if column in names:
            table.add(severity, gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=1))
    for column in NON_NEGATIVE_AMOUNTS:
        if column in names:
            table.add(severity, gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    if params.start and params.end:
        # Event times lie on the generated days: [first landing day, last landing day + 1 day).
        lower, upper = params.start.isoformat(), (params.end + timedelta(days=1)).isoformat()
        for kind, columns in (("timestamp", EVENT_TIMESTAMPS), ("date", EVENT_DATES)):
            for column in [c for c in columns if c in names]:
                table.add(
                    severity,
                    gx.expectations.UnexpectedRowsExpectation(
                        description=f"{table.relation}.{column} lies in [{lower}, {upper})",
                        unexpected_rows_query=(
                            f"select {column} from {{batch}} "
                            f"where {column} < {kind} '{lower}' or {column} >= {kind} '{upper}'"
                        ),
                    ),
                    column=column,
                )
    return table


def unique_key(table: TableSuite, *columns: str) -> TableSuite:
    if len(columns) == 1:
        expectation: Expectation = gx.expectations.ExpectColumnValuesToBeUnique(column=columns[0])
    else:
        expectation = gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(columns))
    return table.add(ERROR, expectation)


def orphans(
    table: TableSuite, severity: str, column: str, parent: str, parent_column: str | None = None
) -> None:
    """Referential check: rows of `table` whose non-null `column` has no row in `parent`."""
    parent_column = parent_column or column
    table.add(
        severity,
        gx.expectations.UnexpectedRowsExpectation(
            description=f"every {table.relation}.{column} is in {parent}.{parent_column}",
            unexpected_rows_query=(
                f"with child as (select * from {{batch}}) select child.{column} from child "
                f"where child.{column} is not null "
                f"and not exists (select 1 from {parent} p where p.{parent_column} = child.{column})"
            ),
        ),
        column=column,
    )


def same_row_count(table: TableSuite, severity: str, other: str) -> None:
    """Reconciliation: `table` has exactly as many rows as `other` (one unexpected row when not)."""
    table.add(
        severity,
        gx.expectations.UnexpectedRowsExpectation(
            description=f"{table.relation} has as many rows as {other}",
            unexpected_rows_query=(
                f"select * from (select (select count(*) from {{batch}}) as table_rows, "
                f"(select count(*) from {other}) as other_rows) counts where table_rows <> other_rows"
            ),
        ),
    )


def suites_for(layer: str, params: SuiteParams) -> list[TableSuite]:
    from quality.suites import bronze, gold, silver

    modules = {"bronze": bronze, "silver": silver, "gold": gold}
    if layer not in modules:
        raise ValueError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
    return modules[layer].suites(params)
