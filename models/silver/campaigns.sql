-- One row per campaign, latest state.
with stg_campaigns as (
    select * from {{ ref('stg_shop__campaigns') }}
),

conformed as (
    select
        campaign_id,
        trim(campaign_name) as campaign_name,
        lower(trim(channel_code)) as channel_code,
        lower(trim(objective)) as objective,
        starts_on,
        ends_on,
        budget,
        updated_at,
        _landing_date,
        _source_file
    from stg_campaigns
),

ranked as (
    select
        *,
        row_number() over (
            partition by campaign_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by campaign_id) as _last_landed_on
    from conformed
),

final as (
    select
        campaign_id,
        campaign_name,
        channel_code,
        objective,
        starts_on,
        ends_on,
        budget,
        updated_at,
        _last_landed_on
    from ranked
    where row_rank = 1
)

select * from final
