{{ config(contract={'enforced': true}) }}
-- One row per day: the contract's revenue definition. Orders count on their ordered_at date (current
-- state, cancelled excluded); refunds count on their refunded_at date, whatever the order's status.
with dim_date as (
    select * from {{ ref('dim_date') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

returns as (
    select * from {{ ref('returns') }}
),

daily_orders as (
    select
        order_date,
        count(*) as order_count,
        sum(item_count) as item_count,
        sum(gross_amount) as gross_revenue,
        sum(discount_amount) as discount_amount
    from fct_orders
    where not is_cancelled
    group by 1
),

daily_refunds as (
    select
        cast(refunded_at as date) as refund_date,
        sum(refund_amount) as refund_amount
    from returns
    where refunded_at is not null
    group by 1
),

final as (
    select
        dim_date.date_day as revenue_date,
        cast(coalesce(daily_orders.order_count, 0) as bigint) as orders,
        cast(coalesce(daily_orders.item_count, 0) as bigint) as items,
        cast(coalesce(daily_orders.gross_revenue, 0) as decimal(18, 2)) as gross_revenue,
        cast(coalesce(daily_orders.discount_amount, 0) as decimal(18, 2)) as discount_amount,
        cast(
            coalesce(daily_orders.gross_revenue, 0) - coalesce(daily_orders.discount_amount, 0) as decimal(18, 2)
        ) as net_revenue,
        cast(coalesce(daily_refunds.refund_amount, 0) as decimal(18, 2)) as refund_amount
    from dim_date
    left join daily_orders
        on dim_date.date_day = daily_orders.order_date
    left join daily_refunds
        on dim_date.date_day = daily_refunds.refund_date
)

select * from final
