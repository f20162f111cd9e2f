"""Gate outcomes: one ExpectationOutcome per expectation result, the GateResult, and the quality.gate_results table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tabulate import tabulate

from emporium.config import Settings
from emporium.engine import engine_for

RESULTS_TABLE = "quality.gate_results"
_DDL = (
    "create schema if not exists quality",
    f"create table if not exists {RESULTS_TABLE} ("
    "run_id varchar not null, layer varchar not null, suite varchar not null, expectation varchar not null, "
    "column_name varchar, severity varchar not null, success boolean not null, observed_value varchar, "
    "rows_failed bigint, validated_at timestamp not null)",
)


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str  # the validated relation, e.g. gold.fct_orders (accounting.<entity> for row accounting)
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed: str
    rows_failed: int | None = None
    description: str | None = None

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        what = self.description or self.expectation
        return f"[{self.severity}] {where}: {what}; observed {self.observed}"


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
        """False iff an error-severity expectation failed; warn failures are recorded only."""
        return not any(o.severity == "error" for o in self.failures)

    def render(self) -> str:
        errors = sum(o.severity == "error" for o in self.failures)
        head = (
            f"{self.layer} gate {'PASSED' if self.passed else 'FAILED'} (run {self.run_id}): "
            f"{len(self.outcomes)} expectations, {errors} error failure(s), "
            f"{len(self.failures) - errors} warning(s), {self.seconds:.1f} s"
        )
        if not self.failures:
            return head + (f"\nData Docs: {self.data_docs}" if self.data_docs else "")
        rows = [
            (o.severity, o.suite, o.column or "", o.description or o.expectation, _clip(o.observed))
            for o in sorted(self.failures, key=lambda o: (o.severity != "error", o.suite))
        ]
        table = tabulate(rows, headers=["severity", "table", "column", "expectation", "observed"])
        docs = f"\nData Docs: {self.data_docs}" if self.data_docs else ""
        return f"{head}\n{table}{docs}"


def _clip(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_results(settings: Settings, result: GateResult) -> int:
    """Append one row per outcome to quality.gate_results (schema and table created if missing)."""
    rows: list[tuple[Any, ...]] = [
        (
            result.run_id,
            result.layer,
            o.suite,
            o.expectation,
            o.column,
            o.severity,
            o.success,
            o.observed,
            o.rows_failed,
            result.validated_at,
        )
        for o in result.outcomes
    ]
    engine = engine_for(settings)
    insert = f"insert into {RESULTS_TABLE} values ({', '.join([engine.placeholder] * 10)})"
    with engine.connect(read_only=False) as connection:
        cursor = connection.cursor()
        try:
            for statement in _DDL:
                cursor.execute(statement)
            if rows:
                cursor.executemany(insert, rows)
        finally:
            cursor.close()
    return len(rows)
