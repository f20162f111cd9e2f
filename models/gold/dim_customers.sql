{{ config(contract={'enforced': true}) }}
-- One row per customer version (SCD2). Windows come from the change-feed history, not from snapshots.
-- No clear PII in gold: e-mail and phone as salted hashes (pii_hash), names and street address left out.
with customer_history as (
    select * from {{ ref('int_customers__history') }}
),

final as (
    select
        cast({{ surrogate_key(['customer_id', 'valid_from']) }} as {{ string_type() }}) as customer_sk,
        customer_id,
        cast({{ pii_hash('email') }} as {{ string_type() }}) as email_hash,
        cast(split_part(email, '@', 2) as {{ string_type() }}) as email_domain,
        cast({{ pii_hash('phone') }} as {{ string_type() }}) as phone_hash,
        city,
        postal_code,
        country_code,
        loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        valid_from,
        valid_to,
        is_current,
        version_number,
        is_erased
    from customer_history
)

select * from final
