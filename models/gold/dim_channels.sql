{{ config(contract={'enforced': true}) }}
-- One row per marketing channel, from the channels seed.
with channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        cast(channel_code as {{ dbt.type_string() }}) as channel_code,
        cast(channel_name as {{ dbt.type_string() }}) as channel_name,
        cast(is_paid as boolean) as is_paid
    from channels
)

select * from final
