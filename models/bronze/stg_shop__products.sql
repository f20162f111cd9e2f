-- Valid products rows, typed; the rows failing a hard rule go to quarantine_products instead.
with
{{ shop_validation_ctes('products') }},

final as (
    select {{ shop_typed_columns('products') }}
    from validated_rows
    where _reason is null
)

select * from final
