-- One row per payment whose order has arrived, re-sends collapsed (latest updated_at wins). Payments of an
-- order not (yet) in silver.orders are held in held_payments instead, until the order lands.
with stg_payments as (
    select * from {{ ref('stg_shop__payments') }}
),

conformed as (
    select
        payment_id,
        order_id,
        lower(trim(payment_method)) as payment_method,
        lower(trim(payment_status)) as payment_status,
        amount,
        upper(trim(currency_code)) as currency_code,
        paid_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_payments
),

ranked as (
    select
        *,
        row_number() over (
            partition by payment_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by payment_id) as _last_landed_on
    from conformed
),

final as (
    select
        payment_id,
        order_id,
        payment_method,
        payment_status,
        amount,
        currency_code,
        paid_at,
        updated_at,
        _last_landed_on
    from ranked
    where
        row_rank = 1
        and {{ parents_present('payments') }}
)

select * from final
