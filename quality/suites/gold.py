"""Gold: the star schema (dimensions, facts) and the marts, reconciled with silver and with each other.

dbt tests keys, relationships and accepted values here and enforces every gold model's contract (column
names and types). The gate checks what those cannot: facts against silver row for row, order totals against
their lines, the marts against the facts, the revenue arithmetic, one current dimension version per key,
event dates on the landing days, that daily order volume does not collapse, and freshness.
"""

from __future__ import annotations

from quality.suites import (
    DISTRIBUTION,
    ERROR,
    WARN,
    GateCheck,
    event_columns,
    fresh_within_1_day,
    one_current_version_per_key,
    reconciliation,
    rows_match,
    rows_where,
    within_landing_range,
)
from quality.suites.dbt_docs import ModelDoc

ORDERS, ITEMS, SESSIONS = "gold.fct_orders", "gold.fct_order_items", "gold.fct_sessions"
REVENUE, RFM = "gold.mart_daily_revenue", "gold.mart_customer_rfm"
# A 7-day window with fewer orders than this share of the average window means the feed collapsed
# (seasonality and holidays move windows by about a third).
VOLUME_FLOOR = 0.5


def checks(docs: dict[str, ModelDoc]) -> list[GateCheck]:
    result = [
        one_current_version_per_key("gold.dim_customers", "customer_id", "silver.customers"),
        one_current_version_per_key("gold.dim_products", "product_id", "silver.products"),
        rows_match(ORDERS, "order_id", "silver.orders"),
        totals_match_order_items(),
        net_is_gross_minus_discount(ORDERS, "order_id", "net_amount", "gross_amount"),
        fresh_within_1_day(ORDERS, "_last_landed_on"),
        rows_match(ITEMS, "order_item_id", "silver.order_items"),
        order_attributes_match_orders(),
        rows_where(
            ITEMS,
            "gross_is_quantity_times_price",
            "gross_amount = quantity x unit_price",
            "order_item_id",
            ("quantity", "unit_price", "gross_amount"),
            "gross_amount <> quantity * unit_price",
        ),
        net_is_gross_minus_discount(ITEMS, "order_item_id", "net_amount", "gross_amount"),
        rows_match(SESSIONS, "session_id", "silver.web_events", distinct=True),
        fresh_within_1_day(SESSIONS, "_last_landed_on"),
        rows_match(REVENUE, "revenue_date", "gold.dim_date", "date_day"),
        net_is_gross_minus_discount(REVENUE, "revenue_date", "net_revenue", "gross_revenue"),
        revenue_totals_match_facts(),
        order_volume_not_collapsing(),
        rows_match(RFM, "customer_id", "silver.customers"),
        rfm_totals_match_orders(),
    ]
    for model in ("dim_date", "fct_orders", "fct_order_items", "fct_sessions", "mart_daily_revenue"):
        result.append(within_landing_range(f"gold.{model}", event_columns(docs[model]), ERROR))
    return result


def net_is_gross_minus_discount(relation: str, key: str, net: str, gross: str) -> GateCheck:
    return rows_where(
        relation,
        "net_is_gross_minus_discount",
        f"{net} = {gross} - discount_amount",
        key,
        (gross, "discount_amount", net),
        f"{net} <> {gross} - discount_amount",
    )


def totals_match_order_items() -> GateCheck:
    totals = ("line_count", "item_count", "gross_amount", "discount_amount")
    return reconciliation(
        ORDERS,
        "totals_match_fct_order_items",
        f"each order's {', '.join(totals)} are those of its {ITEMS} lines",
        totals,
        (
            "with lines as (select order_id, count(*) as line_count, sum(quantity) as item_count, "
            "sum(gross_amount) as gross_amount, sum(discount_amount) as discount_amount "
            f"from {ITEMS} group by order_id) "
            "select o.order_id, "
            + ", ".join(f"o.{t}, coalesce(l.{t}, 0) as lines_{t}" for t in totals)
            + " from {batch} as o left join lines l on l.order_id = o.order_id where "
            + " or ".join(f"o.{t} <> coalesce(l.{t}, 0)" for t in totals)
        ),
    )


def order_attributes_match_orders() -> GateCheck:
    attributes = ("customer_id", "customer_sk", "order_date", "ordered_at", "order_status", "is_cancelled")
    return reconciliation(
        ITEMS,
        "order_attributes_match_fct_orders",
        f"each line's {', '.join(attributes)} are its order's in {ORDERS}",
        attributes,
        (
            "select i.order_item_id, i.order_id from {batch} as i "
            f"join {ORDERS} o on o.order_id = i.order_id where "
            + " or ".join(f"i.{a} is distinct from o.{a}" for a in attributes)
        ),
    )


def revenue_totals_match_facts() -> GateCheck:
    totals = ("orders", "items", "gross_revenue", "discount_amount")
    return reconciliation(
        REVENUE,
        "totals_match_facts",
        (
            f"each day's {', '.join(totals)} are those of the non-cancelled {ORDERS}, "
            "refund_amount that of the silver.returns refunded that day"
        ),
        (*totals, "refund_amount"),
        (
            "with daily_orders as (select order_date, count(*) as orders, sum(item_count) as items, "
            "sum(gross_amount) as gross_revenue, sum(discount_amount) as discount_amount "
            f"from {ORDERS} where not is_cancelled group by order_date), "
            "daily_refunds as (select cast(refunded_at as date) as refund_date, sum(refund_amount) as refund_amount "
            "from silver.returns where refunded_at is not null group by cast(refunded_at as date)) "
            "select m.revenue_date, "
            + ", ".join(f"m.{t}, coalesce(o.{t}, 0) as facts_{t}" for t in totals)
            + ", m.refund_amount, coalesce(r.refund_amount, 0) as returns_refund_amount "
            "from {batch} as m left join daily_orders o on o.order_date = m.revenue_date "
            "left join daily_refunds r on r.refund_date = m.revenue_date where "
            + " or ".join(f"m.{t} <> coalesce(o.{t}, 0)" for t in totals)
            + " or m.refund_amount <> coalesce(r.refund_amount, 0)"
        ),
    )


def order_volume_not_collapsing() -> GateCheck:
    return GateCheck(
        relation=REVENUE,
        name="order_volume_not_collapsing",
        severity=WARN,
        kind=DISTRIBUTION,
        description=f"no 7-day window has fewer than {VOLUME_FLOOR:.0%} of the average 7-day window's orders",
        columns=("orders",),
        sql=(
            "with windows as (select revenue_date as window_end, "
            "sum(orders) over (order by revenue_date rows between 6 preceding and current row) as window_orders, "
            "count(*) over (order by revenue_date rows between 6 preceding and current row) as window_days "
            "from {batch}), "
            "full_windows as (select window_end, window_orders, avg(window_orders) over () as average_orders "
            "from windows where window_days = 7) "
            f"select * from full_windows where window_orders < {VOLUME_FLOOR} * average_orders"
        ),
    )


def rfm_totals_match_orders() -> GateCheck:
    return reconciliation(
        RFM,
        "totals_match_fct_orders",
        f"each customer's frequency, monetary and last_order_date are those of the non-cancelled {ORDERS}",
        ("frequency", "monetary", "last_order_date"),
        (
            "with customer_orders as (select customer_id, count(*) as frequency, sum(net_amount) as monetary, "
            f"max(order_date) as last_order_date from {ORDERS} where not is_cancelled group by customer_id) "
            "select coalesce(r.customer_id, o.customer_id) as customer_id, r.frequency, "
            "o.frequency as facts_frequency, r.monetary, o.monetary as facts_monetary "
            "from {batch} as r full join customer_orders o on o.customer_id = r.customer_id "
            "where r.customer_id is null or r.frequency <> coalesce(o.frequency, 0) "
            "or r.monetary <> coalesce(o.monetary, 0) or r.last_order_date is distinct from o.last_order_date"
        ),
    )
