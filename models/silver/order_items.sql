{{ config(
    on_schema_change='fail',
    **keyed_incremental('order_item_id')
) }}
{%- set cutoff = landing_cutoff('_last_landed_on') %}
-- One row per order line whose order has arrived, re-sends collapsed (latest updated_at wins). Lines of an
-- order not (yet) in silver.orders are held in held_order_items instead, until the order lands.
-- Incremental: keys with a row landed in the window, or whose order landed in it (held lines are released
-- then), are rebuilt from all their rows.
with stg_order_items as (
    select * from {{ ref('stg_shop__order_items') }}
    {%- if cutoff is not none %}
    where order_item_id in (
        select changed.order_item_id from {{ ref('stg_shop__order_items') }} as changed
        where
            changed._landing_date >= {{ cutoff }}
            or changed.order_id in (
                select arrived.order_id from {{ ref('orders') }} as arrived
                where arrived._last_landed_on >= {{ cutoff }}
            )
    )
    {%- endif %}
),

conformed as (
    select
        order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        updated_at,
        _landing_date,
        _source_file
    from stg_order_items
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_item_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by order_item_id) as _last_landed_on
    from conformed
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        updated_at,
        _last_landed_on,
        {{ invocation_column() }}
    from ranked
    where
        row_rank = 1
        and {{ parents_present('order_items') }}
)

select * from final
