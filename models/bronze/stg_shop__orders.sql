{{ config(
    on_schema_change='fail',
    **keyed_incremental('_landing_date')
) }}
-- Valid orders rows, typed; the rows failing a hard rule go to quarantine_orders instead.
with
{{ shop_validation_ctes('orders') }},

final as (
    select
        {{ shop_typed_columns('orders') }},
        {{ invocation_column() }}
    from validated_rows
    where _reason is null
)

select * from final
