-- campaigns rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
with
{{ shop_validation_ctes('campaigns') }},

final as (
    select {{ shop_raw_columns('campaigns') }}
    from validated_rows
    where _reason is not null
)

select * from final
