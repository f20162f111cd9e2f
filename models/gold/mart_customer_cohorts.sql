{{ config(contract={'enforced': true}) }}
-- One row per (first-order month, months since it): how many of the month's new customers ordered again in
-- each later month, over non-cancelled orders, up to the last month in dim_date.
with fct_orders as (
    select * from {{ ref('fct_orders') }}
),

dim_date as (
    select * from {{ ref('dim_date') }}
),

customer_months as (
    select
        customer_id,
        cast(date_trunc('month', order_date) as date) as order_month,
        sum(net_amount) as net_revenue
    from fct_orders
    where not is_cancelled
    group by 1, 2
),

cohorts as (
    select
        customer_id,
        min(order_month) as cohort_month
    from customer_months
    group by 1
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from cohorts
    group by 1
),

activity as (
    select
        cohorts.cohort_month,
        (extract(year from customer_months.order_month) - extract(year from cohorts.cohort_month)) * 12
        + extract(month from customer_months.order_month)
        - extract(month from cohorts.cohort_month) as months_since_first_order,
        count(*) as active_customers,
        sum(customer_months.net_revenue) as net_revenue
    from customer_months
    inner join cohorts
        on customer_months.customer_id = cohorts.customer_id
    group by 1, 2
),

last_month as (
    select cast(date_trunc('month', max(date_day)) as date) as last_month from dim_date
),

final as (
    select
        activity.cohort_month,
        cast(activity.months_since_first_order as integer) as months_since_first_order,
        cast(cohort_sizes.cohort_customers as bigint) as cohort_customers,
        cast(activity.active_customers as bigint) as active_customers,
        cast(1.0 * activity.active_customers / cohort_sizes.cohort_customers as {{ double_type() }}) as retention_rate,
        cast(activity.net_revenue as decimal(18, 2)) as net_revenue
    from activity
    inner join cohort_sizes
        on activity.cohort_month = cohort_sizes.cohort_month
    cross join last_month
    where activity.cohort_month <= last_month.last_month
)

select * from final
