{{ config(
    on_schema_change='fail', contract={'enforced': true},
    **keyed_incremental('order_item_id')
) }}
{%- set cutoff = landing_cutoff('_last_landed_on') %}
-- depends_on: {{ ref('customers') }}
-- depends_on: {{ ref('products') }}
-- One row per order line, with the product and customer versions valid when the order was placed.
-- Incremental: lines whose line, order, product or customer rows landed in the lookback window are recomputed.
with order_items as (
    select * from {{ ref('order_items') }}
),

orders as (
    select * from {{ ref('orders') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

dim_products as (
    select * from {{ ref('dim_products') }}
),

{%- if cutoff is not none %}

customers as (
    select * from {{ ref('customers') }}
),

products as (
    select * from {{ ref('products') }}
),

-- each reason to recompute a line on its own, filtered to the window before joining: a join of every line
-- with its order, customer and product first would cost a full build on every incremental run
changed_items as (
    select order_item_id from order_items
    where {{ landed_in_window('_last_landed_on', cutoff) }}
    union
    select order_items.order_item_id from order_items
    inner join orders on order_items.order_id = orders.order_id
    where {{ landed_in_window('orders._last_landed_on', cutoff) }}
    union
    select order_items.order_item_id from order_items
    inner join orders on order_items.order_id = orders.order_id
    inner join customers on orders.customer_id = customers.customer_id
    where {{ landed_in_window('customers._last_landed_on', cutoff) }}
    union
    select order_items.order_item_id from order_items
    inner join products on order_items.product_id = products.product_id
    where {{ landed_in_window('products._last_landed_on', cutoff) }}
),
{%- endif %}

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
        cast(orders.order_status as {{ string_type() }}) as order_status,
        coalesce(orders.order_status = 'cancelled', false) as is_cancelled,
        order_items.quantity,
        cast(order_items.unit_price as decimal(18, 2)) as unit_price,
        cast(order_items.quantity * order_items.unit_price as decimal(18, 2)) as gross_amount,
        cast(order_items.discount_amount as decimal(18, 2)) as discount_amount,
        cast(order_items.quantity * order_items.unit_price - order_items.discount_amount as decimal(18, 2))
            as net_amount,
        greatest(order_items._last_landed_on, coalesce(orders._last_landed_on, order_items._last_landed_on))
            as _last_landed_on,
        {{ invocation_column() }}
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
    {%- if cutoff is not none %}
    where order_items.order_item_id in (select changed_items.order_item_id from changed_items)
    {%- endif %}
)

select * from final
