-- Valid customers rows, typed; the rows failing a hard rule go to quarantine_customers instead.
-- Customers in the erasure register keep only salted hashes of their PII, applied after validation (so an
-- erased customer is never quarantined for it) and distinct per value (so silver still tells versions apart).
{%- set pii = ['first_name', 'last_name', 'email', 'phone', 'street_address'] %}
with
{{ shop_validation_ctes('customers') }},

final as (
    select
    {%- for c in shop_entity('customers') %}
        {%- if c.name in pii %}
        case when {{ is_erased('customer_id') }} then {{ pii_hash(c.name) }} else {{ c.name }} end as {{ c.name }},
        {%- else %}
        {{ c.name }},
        {%- endif %}
    {%- endfor %}
        _source_file,
        _landing_date,
        cast({{ dbt.current_timestamp() }} as timestamp) as _loaded_at
    from validated_rows
    where _reason is null
)

select * from final
