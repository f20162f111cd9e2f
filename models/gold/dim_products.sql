{{ config(contract={'enforced': true}) }}
-- One row per product version (SCD2): a price change or deactivation opens a new version.
with product_history as (
    select * from {{ ref('int_products__history') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

final as (
    select
        cast(
            {{ surrogate_key(["product_history.product_id", "product_history.valid_from"]) }} as {{ string_type() }}
        ) as product_sk,
        product_history.product_id,
        product_history.sku,
        product_history.product_name,
        product_history.category_code,
        cast(categories.category_name as {{ string_type() }}) as category_name,
        cast(categories.department as {{ string_type() }}) as department,
        product_history.brand,
        product_history.unit_price,
        product_history.currency_code,
        product_history.is_active,
        product_history.created_at,
        product_history.valid_from,
        product_history.valid_to,
        product_history.is_current,
        product_history.version_number
    from product_history
    left join categories
        on product_history.category_code = categories.category_code
)

select * from final
