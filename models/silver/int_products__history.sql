-- Every distinct version of every product (price changes, deactivations) with its validity window.
with stg_products as (
    select * from {{ ref('stg_shop__products') }}
),

conformed as (
    select
        product_id,
        upper(trim(sku)) as sku,
        trim(product_name) as product_name,
        lower(trim(category_code)) as category_code,
        trim(brand) as brand,
        unit_price,
        upper(trim(currency_code)) as currency_code,
        is_active,
        created_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_products
),

{{ change_feed_versions_ctes('product_id', [
    'sku', 'product_name', 'category_code', 'brand', 'unit_price', 'currency_code', 'is_active', 'created_at',
]) }},

final as (
    select
        *,
        valid_to is null as is_current
    from versions
)

select * from final
