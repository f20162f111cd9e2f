-- Valid campaigns rows, typed; the rows failing a hard rule go to quarantine_campaigns instead.
with
{{ shop_validation_ctes('campaigns') }},

final as (
    select {{ shop_typed_columns('campaigns') }}
    from validated_rows
    where _reason is null
)

select * from final
