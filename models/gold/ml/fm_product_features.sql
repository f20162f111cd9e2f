-- Product features for recommendations. Grain: one row per product (its current version in dim_products):
-- category, department, brand, price and whether it is on sale now (is_active), the shelf a recommendation
-- may point to.
with dim_products as (
    select * from {{ ref('dim_products') }}
),

final as (
    select
        product_id,
        category_code,
        department,
        brand,
        unit_price,
        is_active,
        created_at
    from dim_products
    where is_current
)

select * from final
