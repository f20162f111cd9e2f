{{ config(contract={'enforced': true}) }}
-- Churn features, point in time. Grain: one row per (customer_id, as_of_date), as_of_date = every first of
-- a month after the first day of data up to the last. Every feature reads only rows stamped before as_of_date
-- (orders count whatever their current status, which may postdate as_of_date); the label reads the
-- var('churn_horizon_days') (60) days from as_of_date on. Erased customers are left out; no PII. Label and
-- grid are the landing contract's (docs/landing-zone.md, generator/labels.py); _truth/churn_labels.csv has
-- each row's true probability.
with dim_date as (
    select * from {{ ref('dim_date') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

returns as (
    select * from {{ ref('returns') }}
),

support_tickets as (
    select * from {{ ref('support_tickets') }}
),

data_range as (
    select
        min(date_day) as first_day,
        max(date_day) as last_day
    from dim_date
),

as_of_dates as (
    select dim_date.date_day as as_of_date
    from dim_date
    cross join data_range
    where dim_date.day_of_month = 1 and dim_date.date_day > data_range.first_day
),

-- the customer version valid at as_of_date; customers whose first version is later do not exist yet
customer_days as (
    select
        dim_customers.customer_id,
        as_of_dates.as_of_date,
        dim_customers.signed_up_at,
        dim_customers.loyalty_tier
    from as_of_dates
    inner join dim_customers
        on
            dim_customers.valid_from < as_of_dates.as_of_date
            and (dim_customers.valid_to >= as_of_dates.as_of_date or dim_customers.valid_to is null)
    where not {{ is_erased('dim_customers.customer_id') }}
),

order_features as (
    select
        customer_days.customer_id,
        customer_days.as_of_date,
        max(fct_orders.order_date) as last_order_date,
        sum(case when fct_orders.order_date >= customer_days.as_of_date - 30 then 1 else 0 end) as orders_last_30d,
        sum(case when fct_orders.order_date >= customer_days.as_of_date - 90 then 1 else 0 end) as orders_last_90d,
        sum(case when fct_orders.order_date >= customer_days.as_of_date - 30 then fct_orders.net_amount else 0 end)
            as revenue_last_30d,
        sum(case when fct_orders.order_date >= customer_days.as_of_date - 90 then fct_orders.net_amount else 0 end)
            as revenue_last_90d
    from customer_days
    inner join fct_orders
        on
            customer_days.customer_id = fct_orders.customer_id
            and fct_orders.ordered_at < customer_days.as_of_date
    group by 1, 2
),

return_features as (
    select
        customer_days.customer_id,
        customer_days.as_of_date,
        count(*) as returns_count
    from customer_days
    inner join fct_orders
        on customer_days.customer_id = fct_orders.customer_id
    inner join returns
        on
            fct_orders.order_id = returns.order_id
            and returns.requested_at < customer_days.as_of_date
    group by 1, 2
),

ticket_features as (
    {{ count_in_window('support_tickets', 'opened_at', 'support_tickets_last_90d', days_before=90) }}
),

session_features as (
    {{ count_in_window('fct_sessions', 'session_started_at', 'sessions_last_30d', days_before=30) }}
),

-- label: any order placed in [as_of_date, as_of_date + churn_horizon_days days)
next_orders as (
    {{ count_in_window('fct_orders', 'ordered_at', 'orders_next_60d', days_after=var('churn_horizon_days')) }}
),

final as (
    select
        customer_days.customer_id,
        customer_days.as_of_date,
        cast(
            {{ days_between('order_features.last_order_date', 'customer_days.as_of_date') }} as integer
        ) as days_since_last_order,
        cast(coalesce(order_features.orders_last_30d, 0) as integer) as orders_last_30d,
        cast(coalesce(order_features.orders_last_90d, 0) as integer) as orders_last_90d,
        cast(coalesce(order_features.revenue_last_30d, 0) as decimal(18, 2)) as revenue_last_30d,
        cast(coalesce(order_features.revenue_last_90d, 0) as decimal(18, 2)) as revenue_last_90d,
        cast(coalesce(return_features.returns_count, 0) as integer) as returns_count,
        cast(coalesce(ticket_features.support_tickets_last_90d, 0) as integer) as support_tickets_last_90d,
        cast(coalesce(session_features.sessions_last_30d, 0) as integer) as sessions_last_30d,
        cast({{ days_between('customer_days.signed_up_at', 'customer_days.as_of_date') }} as integer) as tenure_days,
        customer_days.loyalty_tier,
        cast(case
            when customer_days.as_of_date + {{ var('churn_horizon_days') }} > data_range.last_day + 1 then null
            else coalesce(next_orders.orders_next_60d, 0) = 0
        end as boolean) as churned_next_60d
    from customer_days
    cross join data_range
    {{ left_join_features([
        'order_features', 'return_features', 'ticket_features', 'session_features', 'next_orders'
    ]) }}
)

select * from final
