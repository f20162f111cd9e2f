{{ config(materialized='view') }}
-- The churn features of every current customer as of the day after the newest landing day (its midnight:
-- the whole newest day counts), for batch scoring and the online store. The same macro as the training mart
-- fm_customer_churn_features (macros/features.sql), so scoring sees exactly the features training saw.
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

as_of_dates as (
    select max(date_day) + 1 as as_of_date
    from dim_date
),

{{ churn_feature_ctes('as_of_dates') }},

final as (
    select * from churn_features
)

select * from final
