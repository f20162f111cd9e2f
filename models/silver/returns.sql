-- One row per return whose order and order line have arrived, latest state (a return is re-sent when its
-- refund is made). Returns of an order or line not (yet) in silver are held in held_returns instead.
with stg_returns as (
    select * from {{ ref('stg_shop__returns') }}
),

conformed as (
    select
        return_id,
        order_id,
        order_item_id,
        lower(trim(return_reason)) as return_reason,
        quantity,
        refund_amount,
        requested_at,
        refunded_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_returns
),

ranked as (
    select
        *,
        row_number() over (
            partition by return_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by return_id) as _last_landed_on
    from conformed
),

final as (
    select
        return_id,
        order_id,
        order_item_id,
        return_reason,
        quantity,
        refund_amount,
        requested_at,
        refunded_at,
        updated_at,
        _last_landed_on
    from ranked
    where
        row_rank = 1
        and {{ parents_present('returns') }}
)

select * from final
