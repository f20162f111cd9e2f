{{ config(
    on_schema_change='fail',
    **keyed_incremental('_landing_date')
) }}
-- Valid web_events rows, typed; the rows failing a hard rule go to quarantine_web_events instead.
with
{{ shop_validation_ctes('web_events') }},

final as (
    select
        {{ shop_typed_columns('web_events') }},
        {{ invocation_column() }}
    from validated_rows
    where _reason is null
)

select * from final
