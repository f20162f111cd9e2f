-- experiment_assignments rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
with
{{ shop_validation_ctes('experiment_assignments') }},

final as (
    select {{ shop_raw_columns('experiment_assignments') }}
    from validated_rows
    where _reason is not null
)

select * from final
