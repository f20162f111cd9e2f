"""Bronze: stg_shop__<entity> (valid typed rows) and quarantine_<entity> (rejected rows with a reason).

dbt tests the required columns, quarantine reasons and non-negative amounts here. The gate checks the
documented schema (bronze has no contracts), that event times lie on the landing days (a warning: silver
enforces it), that quarantine stays a small share of what landed (blocking), and that the daily feeds' newest landing
day arrived. Row accounting runs in the silver gate, where all its sides exist.
"""

from __future__ import annotations

from quality.suites import (
    DAILY_FEEDS,
    DISTRIBUTION,
    ENTITIES,
    ERROR,
    WARN,
    GateCheck,
    event_columns,
    fresh_within_1_day,
    schema_checks,
    within_landing_range,
)
from quality.suites.dbt_docs import ModelDoc

# At the contract's default rates (0.5 % per defect kind) an entity quarantines about 2 %; ten per cent
# means a feed or a bronze rule broke. Judged from this many landed rows up, where chance cannot reach it.
# An error, as its name promises: silver built from such a batch would silently miss a tenth of the rows.
QUARANTINE_SHARE = 0.10
QUARANTINE_MIN_ROWS = 200


def checks(docs: dict[str, ModelDoc]) -> list[GateCheck]:
    result = schema_checks("bronze", docs)
    for entity in ENTITIES:
        staged = f"stg_shop__{entity}"
        if columns := event_columns(docs[staged]):
            result.append(within_landing_range(f"bronze.{staged}", columns, WARN))
        if entity in DAILY_FEEDS:
            result.append(fresh_within_1_day(f"bronze.{staged}", "_landing_date"))
        result.append(quarantine_share(entity))
    return result


def quarantine_share(entity: str) -> GateCheck:
    percent = round(QUARANTINE_SHARE * 100)
    return GateCheck(
        relation=f"bronze.quarantine_{entity}",
        name=f"quarantine_share_at_most_{percent}_percent",
        severity=ERROR,
        kind=DISTRIBUTION,
        description=(
            f"at most {percent} % of the landed {entity} rows are quarantined "
            f"(judged from {QUARANTINE_MIN_ROWS} landed rows up)"
        ),
        sql=(
            "select quarantined_rows, valid_rows from ("
            f"select count(*) as quarantined_rows, (select count(*) from bronze.stg_shop__{entity}) as valid_rows "
            "from {batch}) counts "
            f"where quarantined_rows + valid_rows >= {QUARANTINE_MIN_ROWS} "
            f"and quarantined_rows > {QUARANTINE_SHARE} * (quarantined_rows + valid_rows)"
        ),
    )
