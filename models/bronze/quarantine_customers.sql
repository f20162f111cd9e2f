-- customers rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
-- Customers in the erasure register lose their PII here too (reason and lineage stay).
with
{{ shop_validation_ctes('customers') }},

final as (
    select
        raw_customer_id as customer_id,
        {{ unless_erased('raw_first_name') }} as first_name,
        {{ unless_erased('raw_last_name') }} as last_name,
        {{ unless_erased('raw_email') }} as email,
        {{ unless_erased('raw_phone') }} as phone,
        {{ unless_erased('raw_street_address') }} as street_address,
        raw_city as city,
        raw_postal_code as postal_code,
        raw_country_code as country_code,
        raw_loyalty_tier as loyalty_tier,
        raw_marketing_opt_in as marketing_opt_in,
        raw_signed_up_at as signed_up_at,
        raw_updated_at as updated_at,
        _source_file,
        _landing_date,
        _reason as reason
    from validated_rows
    where _reason is not null
)

select * from final
