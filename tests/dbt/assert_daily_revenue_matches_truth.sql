{{ config(tags=['truth'], meta={'dagster': {'ref': {'name': 'mart_daily_revenue'}}}) }}
-- Gold daily revenue must equal the generator's truth to the cent, every day, both ways. While a landing
-- file of an entity revenue reads is rejected, the comparison waits for its re-send: orders and returns
-- are change feeds, so a missing file can move any earlier day (a cancellation, a refund), and the orders
-- and lines of a rejected customers or products file are held (macros/held.sql).
with mart as (
    select * from {{ ref('mart_daily_revenue') }}
),

truth as (
    select
        cast(revenue_date as date) as revenue_date,
        cast(orders as bigint) as orders,
        cast(items as bigint) as items,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(refund_amount as decimal(18, 2)) as refund_amount
    from {{ source('truth', 'daily_revenue') }}
),

compared as (
    select
        coalesce(mart.revenue_date, truth.revenue_date) as revenue_date,
        mart.orders as mart_orders,
        truth.orders as truth_orders,
        mart.items as mart_items,
        truth.items as truth_items,
        mart.gross_revenue as mart_gross_revenue,
        truth.gross_revenue as truth_gross_revenue,
        mart.discount_amount as mart_discount_amount,
        truth.discount_amount as truth_discount_amount,
        mart.net_revenue as mart_net_revenue,
        truth.net_revenue as truth_net_revenue,
        mart.refund_amount as mart_refund_amount,
        truth.refund_amount as truth_refund_amount
    from mart
    full outer join truth
        on mart.revenue_date = truth.revenue_date
)

select * from compared
where
    {{ truth_is_complete_for(['orders', 'order_items', 'returns', 'customers', 'products']) }}
    and (
        mart_orders is distinct from truth_orders
        or mart_items is distinct from truth_items
        or mart_gross_revenue is distinct from truth_gross_revenue
        or mart_discount_amount is distinct from truth_discount_amount
        or mart_net_revenue is distinct from truth_net_revenue
        or mart_refund_amount is distinct from truth_refund_amount
    )
