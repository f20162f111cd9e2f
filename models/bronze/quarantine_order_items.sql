{{ config(
    on_schema_change='fail',
    **keyed_incremental('_landing_date')
) }}
-- order_items rows that cannot be typed or break a hard rule, with raw values and the first failed rule.
with
{{ shop_validation_ctes('order_items') }},

final as (
    select
        {{ shop_raw_columns('order_items') }},
        {{ invocation_column() }}
    from validated_rows
    where _reason is not null
)

select * from final
