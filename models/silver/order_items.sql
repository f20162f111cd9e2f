{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='order_item_id',
    on_schema_change='fail'
) }}
{%- set cutoff = landing_cutoff('_last_landed_on') %}
-- One row per order line, re-sends collapsed (latest updated_at wins).
-- Incremental: keys with a row landed in the lookback window are rebuilt from all their rows.
with stg_order_items as (
    {{ rows_of_changed_keys(ref('stg_shop__order_items'), 'order_item_id', cutoff) }}
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
        _last_landed_on
    from ranked
    where row_rank = 1
)

select * from final
