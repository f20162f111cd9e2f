{{ config(
    on_schema_change='fail',
    **keyed_incremental('order_id')
) }}
{%- set cutoff = landing_cutoff('_last_landed_on') %}
-- Current state of each order: its latest status change (latest updated_at wins).
-- Incremental: keys with a row landed in the lookback window are rebuilt from all their rows.
-- An order whose customer is not in customers (while a customers file is rejected) waits in held_orders.
with stg_orders as (
    {{ rows_of_changed_keys(ref('stg_shop__orders'), 'order_id', cutoff) }}
),

conformed as (
    select
        order_id,
        customer_id,
        lower(trim(order_status)) as order_status,
        lower(trim(channel_code)) as channel_code,
        campaign_id,
        upper(trim(currency_code)) as currency_code,
        upper(trim(shipping_country_code)) as shipping_country_code,
        ordered_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_orders
),

ranked as (
    select
        *,
        row_number() over (
            partition by order_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by order_id) as _last_landed_on
    from conformed
),

final as (
    select
        order_id,
        customer_id,
        order_status,
        channel_code,
        campaign_id,
        currency_code,
        shipping_country_code,
        ordered_at,
        updated_at,
        _last_landed_on,
        {{ invocation_column() }}
    from ranked
    where
        row_rank = 1
        and {{ parents_present('orders') }}
)

select * from final
