{{ config(contract={'enforced': true}) }}
-- One row per marketing channel, from the channels seed.
with channels as (
    select * from {{ ref('channels') }}
),

final as (
    select
        cast(channel_code as {{ string_type() }}) as channel_code,
        cast(channel_name as {{ string_type() }}) as channel_name,
        cast(is_paid as boolean) as is_paid
    from channels
)

select * from final
