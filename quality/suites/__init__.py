"""Gate checks as code: what Great Expectations validates after each layer that dbt's own tests do not.

dbt already tests keys, not-null columns, relationships, accepted values and row-level expressions
(models/**/_*__models.yml, macros/generic_tests.sql) and enforces gold's column names and types (model
contracts); dagster-dbt turns those into asset checks. The gates keep what dbt tests do not express: row
accounting, reconciliation across tables and columns, distributions, freshness, the event-time range of this
run's landing zone, and the documented schema of bronze and silver (which have no contracts). One module per
layer (bronze.py, silver.py, gold.py) lists them; tests/quality/test_checks.py fails when one repeats a dbt test.

Every check is static (relation, stable name, severity), so the orchestrator can declare it as a Dagster asset
check before any data exists; the run's landing days (SuiteParams) only fill values into its SQL. The SQL
selects the check's unexpected rows: `{batch}` is the validated relation (a GX query asset), `$first_day`,
`$last_day`, `$day_after_last` and `$loaded_through` are the run's landing bounds. GX aliases `{batch}` itself
only in queries without a JOIN; a query with a JOIN must alias it (Postgres needs the alias).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from string import Template

from emporium.contract import ENTITIES as CONTRACT
from quality.suites.dbt_docs import ColumnDoc, ModelDoc, model_docs

ERROR = "error"
WARN = "warn"
SEVERITIES = (ERROR, WARN)
LAYERS = ("bronze", "silver", "gold")

# What a check is about; none of these is a kind of dbt test (not_null, unique, relationships, accepted values).
ACCOUNTING = "accounting"  # raw = silver + held + collapsed + quarantined (quality/accounting.py)
RECONCILIATION = "reconciliation"  # one relation against another, or columns against each other
DISTRIBUTION = "distribution"  # shares and volumes within bounds
FRESHNESS = "freshness"  # the newest landing day has arrived, nothing waits for long
RANGE = "range"  # event times inside this run's landing days
SCHEMA = "schema"  # columns and types as documented, where dbt enforces no contract
KINDS = (ACCOUNTING, RECONCILIATION, DISTRIBUTION, FRESHNESS, RANGE, SCHEMA)

# entity -> primary key, from the landing contract's Python form (emporium/contract.py)
ENTITY_KEYS = {entity.name: entity.key for entity in CONTRACT}
ENTITIES = tuple(ENTITY_KEYS)
# entity -> the fields the contract declares optional (nullable; the generator's null_optional empties them)
OPTIONAL_COLUMNS = {entity.name: entity.optional for entity in CONTRACT if entity.optional}
# The feeds that land every day at any scale; sparse ones (campaigns, experiment assignments) may skip days.
DAILY_FEEDS = ("orders", "web_events")

# Timestamps and dates of business events, which only happen on the landing days (sign-up and product
# creation dates reach back before them, resolution times may lie after them, so they are not listed).
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

# the catalog's view of columns the schema checks read (quality/gx_sources.py serves it where an engine lacks it)
COLUMNS_CATALOG = "information_schema.columns"

_CHECK_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a valid Dagster name


@dataclass(frozen=True)
class GateCheck:
    """One check on one relation; the orchestrator's asset check is (relation's asset key, name).

    `sql` selects the unexpected rows (None: row accounting, which quality/accounting.py computes).
    """

    relation: str  # schema.table, e.g. silver.orders
    name: str  # unique per relation, a valid Dagster name
    severity: str  # error: blocks what is built downstream; warn: recorded
    description: str
    kind: str
    columns: tuple[str, ...] = ()  # the columns it is about (none: the whole relation)
    sql: str | None = None

    def __post_init__(self) -> None:
        if not _CHECK_NAME.match(self.name) or self.severity not in SEVERITIES or self.kind not in KINDS:
            raise ValueError(f"bad check {self.relation}/{self.name}: {self.severity}, {self.kind}")

    @property
    def layer(self) -> str:
        return self.relation.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.relation.split(".", 1)[1]

    @property
    def needs_landing_days(self) -> bool:
        return bool(self.sql and Template(self.sql).get_identifiers())

    def query(self, params: SuiteParams) -> str | None:
        """The SQL for this run; None when it needs landing days and the run has none."""
        if self.sql is None:
            return None
        values = params.sql_values()
        if values is None:
            return None if self.needs_landing_days else self.sql
        return Template(self.sql).substitute(values)


@dataclass(frozen=True)
class SuiteParams:
    """Run-dependent values: the landing zone's first and last day, and the newest day this run loaded
    (an orchestrated partition range's end; by default the last day). Without days, the checks that need
    them are recorded as not evaluated."""

    start: date | None = None
    end: date | None = None
    loaded_through: date | None = None

    @classmethod
    def from_landing(cls, landing_dir: Path, loaded_through: date | None = None) -> SuiteParams:
        days = sorted(
            date.fromisoformat(p.name.removeprefix("date="))
            for p in landing_dir.glob("*/date=*")
            if re.fullmatch(r"date=\d{4}-\d{2}-\d{2}", p.name)
        )
        return cls(days[0], days[-1], loaded_through) if days else cls(loaded_through=loaded_through)

    def sql_values(self) -> dict[str, str] | None:
        if self.start is None or self.end is None:
            return None
        return {
            "first_day": self.start.isoformat(),
            "last_day": self.end.isoformat(),
            "day_after_last": (self.end + timedelta(days=1)).isoformat(),
            "loaded_through": (self.loaded_through or self.end).isoformat(),
        }


def gate_checks(layer: str, docs: dict[str, ModelDoc] | None = None) -> list[GateCheck]:
    """Every check of a layer's gate, in a fixed order; independent of any run. `docs`: the dbt model docs
    (model_docs()), when the caller already has them."""
    from quality.suites import bronze, gold, silver

    modules = {"bronze": bronze, "silver": silver, "gold": gold}
    if layer not in modules:
        raise ValueError(f"unknown layer {layer!r}: expected one of {', '.join(LAYERS)}")
    checks = modules[layer].checks(docs if docs is not None else model_docs())
    seen = set()
    for check in checks:
        if check.layer != layer or (check.relation, check.name) in seen:
            raise ValueError(f"check {check.relation}/{check.name} is misplaced or declared twice")
        seen.add((check.relation, check.name))
    return checks


# Building blocks the layer modules share.


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


def columns_match_docs(layer: str, model: ModelDoc) -> GateCheck:
    """The exact documented column set, with documented types (as families), in one information_schema query."""
    families = {c.name: f"'{_type_family(c.data_type)}'" if c.data_type else "null" for c in model.columns}
    expected = ", ".join(f"('{name}', {family})" for name, family in families.items())
    return GateCheck(
        relation=f"{layer}.{model.name}",
        name="columns_match_docs",
        severity=ERROR,
        kind=SCHEMA,
        description=f"columns and their types are the documented ones (models/{layer}/_{layer}__models.yml)",
        sql=(
            f"with expected(column_name, type_family) as (values {expected}), "
            f"actual as (select column_name, {_type_family_sql('data_type')} as type_family "
            f"from {COLUMNS_CATALOG} "
            f"where table_schema = '{layer}' and table_name = '{model.name}') "
            "select coalesce(e.column_name, a.column_name) as column_name, "
            "e.type_family as documented_type, a.type_family as actual_type "
            "from expected e full join actual a on a.column_name = e.column_name "
            "where (e.column_name is null or a.column_name is null or a.type_family <> e.type_family) "
            # GX wants every query to name its batch: always true, costs nothing.
            "and not exists (select 1 from {batch} as batch_rows where 1 = 0)"
        ),
    )


def schema_checks(layer: str, docs: dict[str, ModelDoc]) -> list[GateCheck]:
    """columns_match_docs for every documented model of the layer whose columns no dbt contract enforces."""
    return [
        columns_match_docs(layer, m) for m in docs.values() if m.folder == layer and not m.contract_enforced
    ]


def event_columns(model: ModelDoc) -> list[ColumnDoc]:
    return [c for c in model.columns if c.name in EVENT_TIMESTAMPS + EVENT_DATES]


def within_landing_range(relation: str, columns: list[ColumnDoc], severity: str) -> GateCheck:
    """Event times lie on this run's landing days: timestamps in [first day, last day + 1), dates in
    [first day, last day]; one query for all the relation's event columns."""
    conditions = [
        f"{c.name} < date '$first_day' or {c.name} > date '$last_day'"
        if c.data_type.lower() == "date"
        else f"{c.name} < timestamp '$first_day' or {c.name} >= timestamp '$day_after_last'"
        for c in columns
    ]
    names = [c.name for c in columns]
    return GateCheck(
        relation=relation,
        name="within_landing_range",
        severity=severity,
        kind=RANGE,
        description=f"{', '.join(names)} lie on the landing zone's days",
        columns=tuple(names),
        sql=f"select {', '.join(names)} from {{batch}} where {' or '.join(conditions)}",
    )


def fresh_within_1_day(relation: str, column: str, severity: str = ERROR) -> GateCheck:
    return GateCheck(
        relation=relation,
        name="fresh_within_1_day",
        severity=severity,
        kind=FRESHNESS,
        description=f"the newest {column} is at most 1 day before the newest landing day loaded",
        columns=(column,),
        sql=(
            f"select max({column}) as newest, date '$loaded_through' as newest_loaded from {{batch}} "
            f"having max({column}) is null or max({column}) < date '$loaded_through' - 1"
        ),
    )


def rows_match(
    relation: str, key: str, other: str, other_key: str | None = None, *, distinct: bool = False
) -> GateCheck:
    """Reconciliation by key: as many rows per key here as in `other` (one per distinct key with `distinct`),
    so missing, extra and repeated rows all show."""
    other_key = other_key or key
    counted = "1" if distinct else "count(*)"
    return reconciliation(
        relation,
        f"rows_match_{other.replace('.', '_')}",
        f"as many rows per {key} as {'distinct ' if distinct else ''}{other}.{other_key} rows",
        (key,),
        (
            f"with here as (select {key} as k, count(*) as n from {{batch}} as batch_rows group by {key}), "
            f"there as (select {other_key} as k, {counted} as n from {other} group by {other_key}) "
            f"select coalesce(here.k, there.k) as {key}, here.n as rows_here, there.n as rows_there "
            "from here full join there on here.k = there.k where here.n is distinct from there.n"
        ),
    )


def one_current_version_per_key(relation: str, key: str, current: str) -> GateCheck:
    """SCD2: exactly one current version per key of the current-state relation, and no other keys."""
    return reconciliation(
        relation,
        "one_current_version_per_key",
        f"exactly one current version per {current}.{key}, and no key without one",
        (key, "is_current"),
        (
            f"with versions as (select {key}, sum(case when is_current then 1 else 0 end) as current_count "
            f"from {{batch}} as batch_rows group by {key}) "
            f"select coalesce(c.{key}, v.{key}) as {key}, v.current_count from {current} c "
            f"full join versions v on v.{key} = c.{key} "
            f"where v.current_count is distinct from 1 or c.{key} is null"
        ),
    )


def rows_where(
    relation: str, name: str, description: str, key: str, columns: tuple[str, ...], condition: str
) -> GateCheck:
    """Rows of the relation for which `condition` (on `columns`) holds do not reconcile."""
    sql = f"select {', '.join((key, *columns))} from {{batch}} where {condition}"
    return reconciliation(relation, name, description, columns, sql)


def reconciliation(
    relation: str, name: str, description: str, columns: tuple[str, ...], sql: str
) -> GateCheck:
    """An error-severity reconciliation; `sql` selects what does not reconcile."""
    return GateCheck(relation, name, ERROR, description, RECONCILIATION, columns, sql)
