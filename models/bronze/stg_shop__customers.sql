-- Valid customers rows, typed; the rows failing a hard rule go to quarantine_customers instead.
-- Customers in the erasure register keep only salted hashes of their PII, applied after validation (so an
-- erased customer is never quarantined for it) and distinct per value (so silver still tells versions apart).
with
{{ shop_validation_ctes('customers') }},

final as (
    select
        customer_id,
        {{ hashed_if_erased('first_name') }} as first_name,
        {{ hashed_if_erased('last_name') }} as last_name,
        {{ hashed_if_erased('email') }} as email,
        {{ hashed_if_erased('phone') }} as phone,
        {{ hashed_if_erased('street_address') }} as street_address,
        city,
        postal_code,
        country_code,
        loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        updated_at,
        _source_file,
        _landing_date,
        cast({{ dbt.current_timestamp() }} as timestamp) as _loaded_at
    from validated_rows
    where _reason is null
)

select * from final
