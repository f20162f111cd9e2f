-- Valid support_tickets rows, typed; the rows failing a hard rule go to quarantine_support_tickets instead.
with
{{ shop_validation_ctes('support_tickets') }},

final as (
    select {{ shop_typed_columns('support_tickets') }}
    from validated_rows
    where _reason is null
)

select * from final
