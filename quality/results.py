"""Gate outcomes: one ExpectationOutcome per check, the GateResult, and the quality.gate_results table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tabulate import tabulate

from emporium.config import Settings
from emporium.engine import engine_for

RESULTS_TABLE = "quality.gate_results"
# `suite` holds the validated relation (schema.table); check_name came later, so older tables get it added.
# column -> type, as standard SQL (Engine.column_type spells it the engine's way)
COLUMNS = {
    "run_id": "varchar not null",
    "layer": "varchar not null",
    "suite": "varchar not null",
    "expectation": "varchar not null",
    "column_name": "varchar",
    "severity": "varchar not null",
    "success": "boolean not null",
    "observed_value": "varchar",
    "rows_failed": "bigint",
    "validated_at": "timestamp not null",
    "check_name": "varchar",
}


@dataclass(frozen=True)
class ExpectationOutcome:
    relation: str  # the validated relation, e.g. gold.fct_orders
    check_name: str  # with `relation`, the declared GateCheck this outcome belongs to
    expectation: str  # the GX expectation type, or row_accounting
    column: str | None
    severity: str
    success: bool
    observed: str
    rows_failed: int | None = None
    description: str | None = None

    def describe(self) -> str:
        where = f"{self.relation}.{self.column}" if self.column else self.relation
        what = self.description or self.expectation
        return f"[{self.severity}] {where} {self.check_name}: {what}; observed {self.observed}"


@dataclass
class GateResult:
    layer: str
    run_id: str
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    seconds: float = 0.0
    data_docs: str | None = None
    validated_at: datetime = field(default_factory=datetime.now)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def passed(self) -> bool:
        """False iff an error-severity check failed; warn failures are recorded only."""
        return not any(o.severity == "error" for o in self.failures)

    def outcomes_by_check(self) -> dict[tuple[str, str], list[ExpectationOutcome]]:
        """(relation, check name) -> its outcomes, in the order they were recorded."""
        grouped: dict[tuple[str, str], list[ExpectationOutcome]] = {}
        for outcome in self.outcomes:
            grouped.setdefault((outcome.relation, outcome.check_name), []).append(outcome)
        return grouped

    def render(self) -> str:
        errors = sum(o.severity == "error" for o in self.failures)
        head = (
            f"{self.layer} gate {'PASSED' if self.passed else 'FAILED'} (run {self.run_id}): "
            f"{len(self.outcomes)} checks, {errors} error failure(s), "
            f"{len(self.failures) - errors} warning(s), {self.seconds:.1f} s"
        )
        docs = f"\nData Docs: {self.data_docs}" if self.data_docs else ""
        if not self.failures:
            return head + docs
        rows = [
            (o.severity, o.relation, o.check_name, o.column or "", _clip(o.observed))
            for o in sorted(self.failures, key=lambda o: (o.severity != "error", o.relation))
        ]
        table = tabulate(rows, headers=["severity", "relation", "check", "column", "observed"])
        return f"{head}\n{table}{docs}"


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_results(settings: Settings, result: GateResult) -> int:
    """Append one row per outcome to quality.gate_results (schema, table and newer columns created if missing)."""
    rows: list[tuple[Any, ...]] = [
        (
            result.run_id,
            result.layer,
            o.relation,
            o.expectation,
            o.column,
            o.severity,
            o.success,
            o.observed,
            o.rows_failed,
            result.validated_at,
            o.check_name,
        )
        for o in result.outcomes
    ]
    engine = engine_for(settings)
    row = f"({', '.join([engine.placeholder] * len(COLUMNS))})"
    # One statement for all rows: DuckDB's executemany costs about 10 ms a row.
    insert = f"insert into {RESULTS_TABLE} ({', '.join(COLUMNS)}) values {', '.join([row] * len(rows))}"
    with engine.connect(read_only=False) as connection:
        engine.query(connection, "create schema if not exists quality")
        columns = ", ".join(f"{name} {engine.column_type(kind)}" for name, kind in COLUMNS.items())
        engine.query(
            connection, f"create table if not exists {RESULTS_TABLE} ({columns}){engine.table_options}"
        )
        if "check_name" not in engine.columns(connection, *RESULTS_TABLE.split(".")):
            engine.query(
                connection,
                f"alter table {RESULTS_TABLE} add column check_name {engine.column_type('varchar')}",
            )
        if rows:
            engine.query(connection, insert, [value for values in rows for value in values])
    return len(rows)
