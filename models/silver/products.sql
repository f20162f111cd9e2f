-- Current state of each product: the latest version of its change feed.
with product_history as (
    select * from {{ ref('int_products__history') }}
),

final as (
    select
        product_id,
        sku,
        product_name,
        category_code,
        brand,
        unit_price,
        currency_code,
        is_active,
        created_at,
        valid_from as updated_at,
        version_number as version_count,
        _last_landed_on
    from product_history
    where is_current
)

select * from final
