{{ config(
    on_schema_change='fail',
    **keyed_incremental('_landing_date')
) }}
-- Valid order_items rows, typed; the rows failing a hard rule go to quarantine_order_items instead.
with
{{ shop_validation_ctes('order_items') }},

final as (
    select
        {{ shop_typed_columns('order_items') }},
        {{ invocation_column() }}
    from validated_rows
    where _reason is null
)

select * from final
