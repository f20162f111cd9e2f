-- customers rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
-- Customers in the erasure register lose their PII here too (reason and lineage stay).
{%- set pii = ['first_name', 'last_name', 'email', 'phone', 'street_address'] %}
with
{{ shop_validation_ctes('customers') }},

final as (
    select
    {%- for c in shop_entity('customers') %}
        {%- if c.name in pii %}
        {{ unless_erased('raw_' ~ c.name) }} as {{ c.name }},
        {%- else %}
        raw_{{ c.name }} as {{ c.name }},
        {%- endif %}
    {%- endfor %}
        _source_file,
        _landing_date,
        _reason as reason
    from validated_rows
    where _reason is not null
)

select * from final
