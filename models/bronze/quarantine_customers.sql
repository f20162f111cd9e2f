-- customers rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
with
{{ shop_validation_ctes('customers') }},

final as (
    select {{ shop_raw_columns('customers') }}
    from validated_rows
    where _reason is not null
)

select * from final
