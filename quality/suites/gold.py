"""Gold: the star schema (dimensions, facts) and the marts, reconciled against silver."""

from __future__ import annotations

import great_expectations as gx

from quality import suites as common
from quality.suites import ERROR, WARN, SuiteParams, TableSuite

PRIMARY_KEYS = {
    "dim_customers": "customer_sk",
    "dim_products": "product_sk",
    "dim_date": "date_day",
    "dim_channels": "channel_code",
    "fct_orders": "order_id",
    "fct_order_items": "order_item_id",
    "fct_sessions": "session_id",
    "mart_daily_revenue": "revenue_date",
    "mart_customer_rfm": "customer_id",
}
RFM_SEGMENTS = [
    "no_orders",
    "champions",
    "loyal",
    "new_or_promising",
    "at_risk",
    "hibernating",
    "needs_attention",
]


def _rows_where(table: TableSuite, severity: str, column: str, description: str, condition: str) -> None:
    table.add(
        severity,
        gx.expectations.UnexpectedRowsExpectation(
            description=description,
            unexpected_rows_query=f"select * from {{batch}} where {condition}",
        ),
        column=column,
    )


def suites(params: SuiteParams) -> list[TableSuite]:
    t = {}
    for name, key in PRIMARY_KEYS.items():
        table = common.add_contract(TableSuite("gold", name), required=[key])
        common.unique_key(table, key)
        common.add_values(table, ERROR, params)
        t[name] = table

    for dimension, key in (("dim_customers", "customer_id"), ("dim_products", "product_id")):
        _rows_where(
            t[dimension],
            ERROR,
            "is_current",
            f"one current version per {key}",
            f"{key} in (select {key} from gold.{dimension} group by {key} "
            "having sum(case when is_current then 1 else 0 end) <> 1)",
        )

    # Referential integrity: facts -> dimensions.
    common.orphans(t["fct_orders"], ERROR, "customer_sk", "gold.dim_customers")
    common.orphans(t["fct_orders"], ERROR, "order_date", "gold.dim_date", "date_day")
    common.orphans(t["fct_orders"], ERROR, "channel_code", "gold.dim_channels")
    common.orphans(t["fct_order_items"], ERROR, "order_id", "gold.fct_orders")
    common.orphans(t["fct_order_items"], ERROR, "product_sk", "gold.dim_products")
    common.orphans(t["fct_order_items"], ERROR, "customer_sk", "gold.dim_customers")
    common.orphans(t["fct_sessions"], ERROR, "customer_sk", "gold.dim_customers")
    common.orphans(t["fct_sessions"], ERROR, "session_date", "gold.dim_date", "date_day")
    common.orphans(t["fct_sessions"], WARN, "channel_code", "gold.dim_channels")
    common.orphans(t["mart_daily_revenue"], ERROR, "revenue_date", "gold.dim_date", "date_day")
    common.orphans(t["mart_customer_rfm"], ERROR, "customer_id", "silver.customers")

    # Reconciliation with silver and within gold.
    common.same_row_count(t["fct_orders"], ERROR, "silver.orders")
    common.same_row_count(t["fct_order_items"], ERROR, "silver.order_items")
    common.same_row_count(t["mart_customer_rfm"], ERROR, "silver.customers")
    common.same_row_count(t["mart_daily_revenue"], ERROR, "gold.dim_date")
    for name in ("fct_orders", "fct_order_items"):
        _rows_where(
            t[name],
            ERROR,
            "net_amount",
            "net_amount = gross_amount - discount_amount",
            "net_amount <> gross_amount - discount_amount",
        )
    _rows_where(
        t["fct_order_items"],
        ERROR,
        "gross_amount",
        "gross_amount = quantity * unit_price",
        "gross_amount <> quantity * unit_price",
    )
    _rows_where(
        t["mart_daily_revenue"],
        ERROR,
        "net_revenue",
        "net_revenue = gross_revenue - discount_amount",
        "net_revenue <> gross_revenue - discount_amount",
    )
    t["mart_daily_revenue"].add(
        WARN,
        gx.expectations.UnexpectedRowsExpectation(
            description="total net_revenue equals the net_amount of non-cancelled gold.fct_orders",
            unexpected_rows_query=(
                "select * from (select (select sum(net_revenue) from {batch}) as mart_net, "
                "(select sum(net_amount) from gold.fct_orders where not is_cancelled) as fact_net) totals "
                "where mart_net <> fact_net"
            ),
        ),
    )
    rfm = t["mart_customer_rfm"]
    for score in ("recency_score", "frequency_score", "monetary_score"):
        rfm.add(
            ERROR, gx.expectations.ExpectColumnValuesToBeInSet(column=score, value_set=[0, 1, 2, 3, 4, 5])
        )
    rfm.add(ERROR, gx.expectations.ExpectColumnValuesToBeInSet(column="rfm_segment", value_set=RFM_SEGMENTS))
    for column in ("frequency", "monetary"):
        rfm.add(ERROR, gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    return list(t.values())
