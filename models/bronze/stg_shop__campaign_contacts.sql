-- Valid campaign_contacts rows, typed; the rows failing a hard rule go to quarantine_campaign_contacts instead.
with
{{ shop_validation_ctes('campaign_contacts') }},

final as (
    select {{ shop_typed_columns('campaign_contacts') }}
    from validated_rows
    where _reason is null
)

select * from final
