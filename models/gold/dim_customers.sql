{{ config(contract={'enforced': true}) }}
-- One row per customer version (SCD2). Windows come from the change-feed history, not from snapshots.
with customer_history as (
    select * from {{ ref('int_customers__history') }}
),

final as (
    select
        cast({{ surrogate_key(['customer_id', 'valid_from']) }} as varchar) as customer_sk,
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        street_address,
        city,
        postal_code,
        country_code,
        loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        valid_from,
        valid_to,
        is_current,
        version_number
    from customer_history
)

select * from final
