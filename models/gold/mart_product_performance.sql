{{ config(contract={'enforced': true}) }}
-- One row per (month, product): units, orders and revenue of non-cancelled orders' lines, with the product's
-- current name, category and brand; months without sales have no row.
with fct_order_items as (
    select * from {{ ref('fct_order_items') }}
),

dim_products as (
    select * from {{ ref('dim_products') }}
),

current_products as (
    select * from dim_products
    where is_current
),

monthly as (
    select
        cast(date_trunc('month', order_date) as date) as sales_month,
        product_id,
        count(distinct order_id) as orders,
        sum(quantity) as units,
        sum(net_amount) as net_revenue
    from fct_order_items
    where not is_cancelled
    group by 1, 2
),

final as (
    select
        monthly.sales_month,
        monthly.product_id,
        cast(current_products.product_name as {{ string_type() }}) as product_name,
        cast(current_products.category_code as {{ string_type() }}) as category_code,
        cast(current_products.category_name as {{ string_type() }}) as category_name,
        cast(current_products.brand as {{ string_type() }}) as brand,
        cast(monthly.orders as bigint) as orders,
        cast(monthly.units as bigint) as units,
        cast(monthly.net_revenue as decimal(18, 2)) as net_revenue
    from monthly
    left join current_products
        on monthly.product_id = current_products.product_id
)

select * from final
