{{ config(contract={'enforced': true}) }}
-- One row per customer: recency / frequency / monetary over non-cancelled orders, scored 1-5 by
-- quintile among customers who ordered (0 = never ordered), as of the last day in dim_date.
with customers as (
    select * from {{ ref('customers') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

as_of as (
    select max(date_day) as as_of_date from dim_date
),

customer_orders as (
    select
        customer_id,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(net_amount) as net_revenue
    from fct_orders
    where not is_cancelled
    group by 1
),

scored as (
    select
        customer_orders.*,
        {{ days_between('customer_orders.last_order_date', 'as_of.as_of_date') }} as recency_days,
        ntile(5) over (order by customer_orders.last_order_date, customer_orders.customer_id) as recency_score,
        ntile(5) over (order by customer_orders.order_count, customer_orders.customer_id) as frequency_score,
        ntile(5) over (order by customer_orders.net_revenue, customer_orders.customer_id) as monetary_score
    from customer_orders
    cross join as_of
),

final as (
    select
        customers.customer_id,
        scored.last_order_date,
        cast(scored.recency_days as integer) as recency_days,
        cast(coalesce(scored.order_count, 0) as integer) as frequency,
        cast(coalesce(scored.net_revenue, 0) as decimal(18, 2)) as monetary,
        cast(coalesce(scored.recency_score, 0) as integer) as recency_score,
        cast(coalesce(scored.frequency_score, 0) as integer) as frequency_score,
        cast(coalesce(scored.monetary_score, 0) as integer) as monetary_score,
        cast(case
            when scored.customer_id is null then 'no_orders'
            when scored.recency_score >= 4 and scored.frequency_score >= 4 then 'champions'
            when scored.frequency_score >= 4 then 'loyal'
            when scored.recency_score >= 4 and scored.frequency_score <= 2 then 'new_or_promising'
            when scored.recency_score <= 2 and scored.frequency_score >= 3 then 'at_risk'
            when scored.recency_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as {{ string_type() }}) as rfm_segment
    from customers
    left join scored
        on customers.customer_id = scored.customer_id
)

select * from final
