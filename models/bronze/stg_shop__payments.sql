-- Valid payments rows, typed; the rows failing a hard rule go to quarantine_payments instead.
with
{{ shop_validation_ctes('payments') }},

final as (
    select {{ shop_typed_columns('payments') }}
    from validated_rows
    where _reason is null
)

select * from final
