{{ config(contract={'enforced': true}) }}
-- One row per (day, category, channel, shipping country): sales of non-cancelled orders' lines, the
-- breakdown behind the sales pages. Its net revenue sums to mart_daily_revenue's (an order's net amount is
-- the sum of its lines'); an order with lines in two categories counts once in each.
with fct_order_items as (
    select * from {{ ref('fct_order_items') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

dim_products as (
    select * from {{ ref('dim_products') }}
),

dim_channels as (
    select * from {{ ref('dim_channels') }}
),

countries as (
    select * from {{ ref('countries') }}
),

lines as (
    select
        fct_order_items.order_date,
        dim_products.category_code,
        dim_products.category_name,
        fct_orders.channel_code,
        fct_orders.shipping_country_code as country_code,
        fct_order_items.order_id,
        fct_order_items.quantity,
        fct_order_items.gross_amount,
        fct_order_items.discount_amount,
        fct_order_items.net_amount
    from fct_order_items
    inner join fct_orders
        on fct_order_items.order_id = fct_orders.order_id
    inner join dim_products
        on fct_order_items.product_sk = dim_products.product_sk
    where not fct_order_items.is_cancelled
),

daily as (
    select
        order_date,
        category_code,
        category_name,
        channel_code,
        country_code,
        count(distinct order_id) as orders,
        sum(quantity) as items,
        sum(gross_amount) as gross_revenue,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_revenue
    from lines
    group by 1, 2, 3, 4, 5
),

final as (
    select
        daily.order_date,
        cast(daily.category_code as {{ string_type() }}) as category_code,
        cast(daily.category_name as {{ string_type() }}) as category_name,
        cast(daily.channel_code as {{ string_type() }}) as channel_code,
        cast(dim_channels.channel_name as {{ string_type() }}) as channel_name,
        cast(daily.country_code as {{ string_type() }}) as country_code,
        cast(countries.country_name as {{ string_type() }}) as country_name,
        cast(daily.orders as bigint) as orders,
        cast(daily.items as bigint) as items,
        cast(daily.gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(daily.discount_amount as decimal(18, 2)) as discount_amount,
        cast(daily.net_revenue as decimal(18, 2)) as net_revenue
    from daily
    left join dim_channels
        on daily.channel_code = dim_channels.channel_code
    left join countries
        on daily.country_code = countries.country_code
)

select * from final
