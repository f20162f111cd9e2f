{{ config(contract={'enforced': true}) }}
-- One row per (day, channel, device): web sessions and how many reached each funnel step (a session counts
-- at a step when it has at least one event of that type), from fct_sessions.
with fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

final as (
    select
        session_date,
        cast(coalesce(channel_code, 'unknown') as {{ string_type() }}) as channel_code,
        cast(coalesce(device_type, 'unknown') as {{ string_type() }}) as device_type,
        cast(count(*) as bigint) as sessions,
        cast(sum(case when product_views > 0 then 1 else 0 end) as bigint) as product_view_sessions,
        cast(sum(case when add_to_carts > 0 then 1 else 0 end) as bigint) as add_to_cart_sessions,
        cast(sum(case when checkouts > 0 then 1 else 0 end) as bigint) as checkout_sessions,
        cast(sum(case when has_purchase then 1 else 0 end) as bigint) as purchase_sessions
    from fct_sessions
    group by 1, 2, 3
)

select * from final
