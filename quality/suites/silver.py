"""Silver: one current-state table per entity plus the SCD2 histories of customers and products.

Row accounting (quality/accounting.py) is added to this gate by quality/gates.py.
"""

from __future__ import annotations

import great_expectations as gx

from quality.suites import (
    ENTITIES,
    ENTITY_KEYS,
    ERROR,
    WARN,
    SuiteParams,
    TableSuite,
    add_contract,
    add_values,
    orphans,
    unique_key,
)


def suites(params: SuiteParams) -> list[TableSuite]:
    tables = {}
    for entity in ENTITIES:
        key = ENTITY_KEYS[entity]
        table = add_contract(TableSuite("silver", entity), required=[key])
        unique_key(table, key)
        add_values(table, ERROR, params)
        tables[entity] = table

    # Bronze quarantines unknown customers and products, so silver must have no orphans there.
    orphans(tables["orders"], ERROR, "customer_id", "silver.customers")
    orphans(tables["order_items"], ERROR, "product_id", "silver.products")
    # Lines, payments and returns of orders that have not landed (yet) are possible, so only a warning.
    orphans(tables["order_items"], WARN, "order_id", "silver.orders")
    orphans(tables["payments"], WARN, "order_id", "silver.orders")
    orphans(tables["returns"], WARN, "order_item_id", "silver.order_items")

    histories = []
    for entity, key in (("customers", "customer_id"), ("products", "product_id")):
        history = add_contract(TableSuite("silver", f"int_{entity}__history"), required=[key])
        unique_key(history, key, "valid_from")
        add_values(history, ERROR, SuiteParams())  # valid_from may predate the landing range
        history.add(
            ERROR,
            gx.expectations.UnexpectedRowsExpectation(
                description=f"exactly one current version per {key}, and every silver.{entity} key has history",
                unexpected_rows_query=(
                    # GX aliases {batch} itself only in queries without a JOIN (Postgres needs one)
                    f"with h as (select * from {{batch}} as batch_rows), current_versions as ("
                    f"select {key}, sum(case when is_current then 1 else 0 end) as current_count "
                    f"from h group by {key}) "
                    f"select s.{key}, c.current_count from silver.{entity} s "
                    f"full join current_versions c on c.{key} = s.{key} "
                    "where c.current_count is distinct from 1 or s." + key + " is null"
                ),
            ),
        )
        histories.append(history)
    return [*tables.values(), *histories]
