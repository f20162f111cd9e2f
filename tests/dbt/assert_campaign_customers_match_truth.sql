{{ config(tags=['truth'], meta={'dagster': {'ref': {'name': 'mart_campaign_customers'}}}) }}
-- Campaign 1's eligible customers in the mart are exactly those of _truth/campaign_propensity.csv, each with
-- the truth's arm and the targeting covariates the truth computed (spend_before_start to the cent,
-- tenure_days). Returns every row that differs. While a customers, orders, order_items or campaign_contacts
-- landing file is rejected (macros/truth.sql) the comparison waits for its re-send.
with mart as (
    select * from {{ ref('mart_campaign_customers') }}
    where campaign_id = 1
),

truth as (
    select
        cast(customer_id as bigint) as customer_id,
        cast(spend_before_start as decimal(18, 2)) as spend_before_start,
        cast(tenure_days as integer) as tenure_days,
        cast(contacted as boolean) as contacted
    from {{ source('truth', 'campaign_propensity') }}
),

final as (
    select
        coalesce(mart.customer_id, truth.customer_id) as customer_id,
        mart.contacted,
        truth.contacted as truth_contacted,
        mart.spend_before_start,
        truth.spend_before_start as truth_spend_before_start,
        mart.tenure_days,
        truth.tenure_days as truth_tenure_days
    from mart
    full outer join truth on mart.customer_id = truth.customer_id
    where
        {{ truth_is_complete_for(['customers', 'orders', 'order_items', 'campaign_contacts']) }}
        and (
            mart.customer_id is null
            or truth.customer_id is null
            or mart.contacted is distinct from truth.contacted
            or mart.spend_before_start is distinct from truth.spend_before_start
            or mart.tenure_days is distinct from truth.tenure_days
        )
)

select * from final
