-- Valid returns rows, typed; the rows failing a hard rule go to quarantine_returns instead.
with
{{ shop_validation_ctes('returns') }},

final as (
    select {{ shop_typed_columns('returns') }}
    from validated_rows
    where _reason is null
)

select * from final
