-- One row per campaign contact, re-sends collapsed.
-- A contact whose customer is not in customers (while a customers file is rejected) waits in
-- held_campaign_contacts.
with stg_campaign_contacts as (
    select * from {{ ref('stg_shop__campaign_contacts') }}
),

conformed as (
    select
        contact_id,
        campaign_id,
        customer_id,
        contacted_at,
        _landing_date,
        _source_file
    from stg_campaign_contacts
),

ranked as (
    select
        *,
        row_number() over (
            partition by contact_id order by contacted_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by contact_id) as _last_landed_on
    from conformed
),

final as (
    select
        contact_id,
        campaign_id,
        customer_id,
        contacted_at,
        _last_landed_on
    from ranked
    where
        row_rank = 1
        and {{ parents_present('campaign_contacts') }}
)

select * from final
