"""Bronze: stg_shop__<entity> (valid typed rows) and quarantine_<entity> (rejected rows with a reason).

Keys are NOT unique here by design (change feeds and re-sends repeat them), so only their presence is checked.
Row accounting (raw = silver + collapsed + quarantined, quality/accounting.py) runs in the silver gate,
where all three sides exist.
"""

from __future__ import annotations

import great_expectations as gx

from quality.suites import (
    ENTITIES,
    ENTITY_KEYS,
    QUARANTINE_REASONS,
    WARN,
    SuiteParams,
    TableSuite,
    add_contract,
    add_values,
)


def suites(params: SuiteParams) -> list[TableSuite]:
    result = []
    for entity in ENTITIES:
        # Values as landed (untrimmed), so value sets are only a warning here; silver enforces them.
        staged = add_contract(TableSuite("bronze", f"stg_shop__{entity}"), required=[ENTITY_KEYS[entity]])
        add_values(staged, WARN, params)
        result.append(staged)

        quarantine = add_contract(TableSuite("bronze", f"quarantine_{entity}"), required=["reason"])
        # A reason outside the contract's defect names (the bronze macros' invalid_number/invalid_value)
        # means generator and bronze rules disagree: investigate, but the row is safely out of silver.
        quarantine.add(
            WARN,
            gx.expectations.ExpectColumnValuesToBeInSet(column="reason", value_set=list(QUARANTINE_REASONS)),
        )
        result.append(quarantine)
    return result
