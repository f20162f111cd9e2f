{{ config(contract={'enforced': true}) }}
-- Churn features, point in time. Grain: one row per (customer_id, as_of_date), as_of_date = every first of
-- a month after the first day of data up to the last. The features are macro churn_feature_ctes
-- (macros/features.sql), shared with the scoring view fv_customer_churn_current: every feature reads only
-- rows stamped before as_of_date (orders count whatever their current status, which may postdate as_of_date);
-- the label reads the var('churn_horizon_days') (60) days from as_of_date on. Erased customers are left out;
-- no PII. Label and grid are the landing contract's (docs/landing-zone.md, generator/labels.py);
-- _truth/churn_labels.csv has each row's true probability.
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

{{ churn_feature_ctes('as_of_dates') }},

-- label: any order placed in [as_of_date, as_of_date + churn_horizon_days days)
next_orders as (
    {{ count_in_window('fct_orders', 'ordered_at', 'orders_next_60d', days_after=var('churn_horizon_days')) }}
),

final as (
    select
        churn_features.*,
        cast(case
            when churn_features.as_of_date + {{ var('churn_horizon_days') }} > data_range.last_day + 1 then null
            else coalesce(next_orders.orders_next_60d, 0) = 0
        end as boolean) as churned_next_60d
    from churn_features
    cross join data_range
    left join next_orders
        on churn_features.customer_id = next_orders.customer_id and churn_features.as_of_date = next_orders.as_of_date
)

select * from final
