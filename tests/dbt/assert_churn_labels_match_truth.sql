{{ config(tags=['truth'], meta={'dagster': {'ref': {'name': 'fm_customer_churn_features'}}}) }}
-- The churn feature mart has exactly the planted truth's (customer, as_of_date) grid and, where the mart
-- has a label, the truth's realised label (_truth/churn_labels.csv, docs/landing-zone.md). Erased customers
-- are left out of the mart, so they are left out here too. Returns every row that differs. While a customers
-- or orders landing file is rejected (macros/truth.sql), the grid and labels wait for its re-send.
with mart as (
    select
        customer_id,
        as_of_date,
        churned_next_60d
    from {{ ref('fm_customer_churn_features') }}
),

erased as (
    select customer_id from {{ ref('stg_governance__erasure_requests') }}
),

truth as (
    select
        cast(customer_id as bigint) as customer_id,
        cast(as_of_date as date) as as_of_date,
        cast(nullif(churned_next_60d, '') as boolean) as churned_next_60d
    from {{ source('truth', 'churn_labels') }}
),

final as (
    select
        coalesce(mart.customer_id, truth.customer_id) as customer_id,
        coalesce(mart.as_of_date, truth.as_of_date) as as_of_date,
        mart.churned_next_60d as mart_label,
        truth.churned_next_60d as truth_label
    from mart
    full outer join truth
        on mart.customer_id = truth.customer_id and mart.as_of_date = truth.as_of_date
    where
        {{ truth_is_complete_for(['customers', 'orders']) }}
        and coalesce(mart.customer_id, truth.customer_id) not in (select erased.customer_id from erased)
        and (
            mart.customer_id is null
            or truth.customer_id is null
            or mart.churned_next_60d is distinct from truth.churned_next_60d
        )
)

select * from final
