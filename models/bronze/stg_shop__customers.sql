-- Valid customers rows, typed; the rows failing a hard rule go to quarantine_customers instead.
with
{{ shop_validation_ctes('customers') }},

final as (
    select {{ shop_typed_columns('customers') }}
    from validated_rows
    where _reason is null
)

select * from final
