{{ config(
    on_schema_change='fail', contract={'enforced': true},
    **keyed_incremental('order_item_id')
) }}
{%- set cutoff = landing_cutoff('_last_landed_on') %}
-- One row per order line, with the product and customer versions valid when the order was placed.
-- Incremental: lines whose line, order, product or customer rows landed in the lookback window are recomputed.
with order_items as (
    select * from {{ ref('order_items') }}
),

orders as (
    select * from {{ ref('orders') }}
),

customers as (
    select * from {{ ref('customers') }}
),

products as (
    select * from {{ ref('products') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

dim_products as (
    select * from {{ ref('dim_products') }}
),

changed_items as (
    select order_items.order_item_id
    from order_items
    left join orders on order_items.order_id = orders.order_id
    left join customers on orders.customer_id = customers.customer_id
    left join products on order_items.product_id = products.product_id
    where
        {{ landed_in_window('order_items._last_landed_on', cutoff) }}
        or {{ landed_in_window('orders._last_landed_on', cutoff) }}
        or {{ landed_in_window('customers._last_landed_on', cutoff) }}
        or {{ landed_in_window('products._last_landed_on', cutoff) }}
),

-- text and numeric columns are cast to their contract types: on Postgres an incremental run's temp table
-- would otherwise carry text/numeric and on_schema_change='fail' would stop the build
final as (
    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        dim_products.product_sk,
        orders.customer_id,
        dim_customers.customer_sk,
        cast(orders.ordered_at as date) as order_date,
        orders.ordered_at,
        cast(orders.order_status as {{ dbt.type_string() }}) as order_status,
        coalesce(orders.order_status = 'cancelled', false) as is_cancelled,
        order_items.quantity,
        cast(order_items.unit_price as decimal(18, 2)) as unit_price,
        cast(order_items.quantity * order_items.unit_price as decimal(18, 2)) as gross_amount,
        cast(order_items.discount_amount as decimal(18, 2)) as discount_amount,
        cast(order_items.quantity * order_items.unit_price - order_items.discount_amount as decimal(18, 2))
            as net_amount,
        greatest(order_items._last_landed_on, coalesce(orders._last_landed_on, order_items._last_landed_on))
            as _last_landed_on
    from order_items
    left join orders
        on order_items.order_id = orders.order_id
    left join dim_products
        on
            order_items.product_id = dim_products.product_id
            and {{ scd2_valid_at('dim_products', 'orders.ordered_at') }}
    left join dim_customers
        on
            orders.customer_id = dim_customers.customer_id
            and {{ scd2_valid_at('dim_customers', 'orders.ordered_at') }}
    where order_items.order_item_id in (select changed_items.order_item_id from changed_items)
)

select * from final
