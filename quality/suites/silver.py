"""Silver: one current-state table per entity plus the SCD2 histories of customers and products.

dbt tests keys, relationships and accepted values here. The gate checks row accounting (raw = silver + held
+ collapsed + quarantined, computed by quality/accounting.py), the documented schema (silver has no
contracts), event times on the landing days, one current history version per key, that conforming does not
null the contract's optional fields, that the daily feeds are fresh, and it warns about rows that have waited
for their parent (silver.held_<entity>) for long.
"""

from __future__ import annotations

from quality.suites import (
    ACCOUNTING,
    DAILY_FEEDS,
    DISTRIBUTION,
    ENTITIES,
    ENTITY_KEYS,
    ERROR,
    FRESHNESS,
    OPTIONAL_COLUMNS,
    WARN,
    GateCheck,
    event_columns,
    fresh_within_1_day,
    one_current_version_per_key,
    schema_checks,
    within_landing_range,
)
from quality.suites.dbt_docs import ModelDoc

# Silver keeps the latest version of each key, so an optional field's null share moves a little against
# bronze's (all versions); more than this many percentage points means conforming nulled values.
NULL_SHARE_TOLERANCE = 0.05
ROW_ACCOUNTING = "row_accounting"
# A parent lands at most a few days (the contract's max_late_days) after the rows that reference it; a
# row held for a week waits for a parent that is not coming (a rejected file, say). A warning, not an
# error: held rows legitimately wait until the parent's file is re-sent, and blocking silver would stop
# every later day meanwhile. Its name says what it reports, not a promise that no row waits that long.
HELD_DAYS = 7


def checks(docs: dict[str, ModelDoc]) -> list[GateCheck]:
    result = schema_checks("silver", docs)
    for entity in ENTITIES:
        relation = f"silver.{entity}"
        result.append(row_accounting(entity))
        if columns := event_columns(docs[entity]):
            result.append(within_landing_range(relation, columns, ERROR))
        if entity in OPTIONAL_COLUMNS:
            result.append(optional_null_share(entity, OPTIONAL_COLUMNS[entity]))
        if entity in DAILY_FEEDS:
            result.append(fresh_within_1_day(relation, "_last_landed_on"))
    for model in docs.values():
        if model.folder == "silver" and model.name.startswith("held_"):
            result.append(held_over_a_week(model))
    for entity in ("customers", "products"):
        history = f"silver.int_{entity}__history"
        result.append(one_current_version_per_key(history, ENTITY_KEYS[entity], f"silver.{entity}"))
    return result


def row_accounting(entity: str) -> GateCheck:
    return GateCheck(
        relation=f"silver.{entity}",
        name=ROW_ACCOUNTING,
        severity=ERROR,
        kind=ACCOUNTING,
        description="raw rows = silver rows + held rows + duplicates collapsed + quarantined rows",
    )


def optional_null_share(entity: str, columns: tuple[str, ...]) -> GateCheck:
    points = round(NULL_SHARE_TOLERANCE * 100)
    shares = " union all ".join(
        f"select '{column}' as column_name, "
        f"avg(case when {column} is null then 1.0 else 0.0 end) as silver_null_share, "
        f"(select avg(case when {column} is null then 1.0 else 0.0 end) from bronze.stg_shop__{entity}) "
        "as bronze_null_share from {batch}"
        for column in columns
    )
    return GateCheck(
        relation=f"silver.{entity}",
        name="optional_null_share_as_in_bronze",
        severity=WARN,
        kind=DISTRIBUTION,
        description=(
            f"the null share of the optional {', '.join(columns)} is at most {points} points above bronze's"
        ),
        columns=columns,
        sql=(
            f"select * from ({shares}) shares "
            f"where silver_null_share > coalesce(bronze_null_share, 0) + {NULL_SHARE_TOLERANCE}"
        ),
    )


def held_over_a_week(model: ModelDoc) -> GateCheck:
    key = model.columns[0].name
    return GateCheck(
        relation=f"silver.{model.name}",
        name=f"rows_held_over_{HELD_DAYS}_days",
        severity=WARN,
        kind=FRESHNESS,
        description=(
            f"warns about rows waiting for their parent more than {HELD_DAYS} days before the newest landing day"
            " loaded (they wait for a re-send; the run goes on)"
        ),
        columns=("_landing_date",),
        sql=(
            f"select {key}, parent_entity, parent_key, _landing_date from {{batch}} "
            f"where _landing_date < date '$loaded_through' - {HELD_DAYS}"
        ),
    )
