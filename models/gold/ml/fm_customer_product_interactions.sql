-- Implicit feedback for recommendations. Grain: one row per (customer_id, product_id, event_date) with at
-- least one product_view, add_to_cart or purchase event of an identified customer on a product. Event time:
-- event_date is when the event happened, not when it landed. interaction_weight scores the day's signal
-- (view 1, add to cart 3, purchase 5); ml/features.py decays it by age as of any date (half-life from
-- emporium/config.py), so training and scoring read the same weights. Erased customers are left out.
with web_events as (
    select * from {{ ref('web_events') }}
),

product_events as (
    select
        customer_id,
        product_id,
        cast(occurred_at as date) as event_date,
        event_type
    from web_events
    where
        customer_id is not null
        and product_id is not null
        and event_type in ('product_view', 'add_to_cart', 'purchase')
        and not {{ is_erased('customer_id') }}
),

final as (
    select
        customer_id,
        product_id,
        event_date,
        cast(sum(case when event_type = 'product_view' then 1 else 0 end) as integer) as product_views,
        cast(sum(case when event_type = 'add_to_cart' then 1 else 0 end) as integer) as add_to_carts,
        cast(sum(case when event_type = 'purchase' then 1 else 0 end) as integer) as purchases,
        cast(sum(
            case event_type when 'product_view' then 1 when 'add_to_cart' then 3 else 5 end
        ) as {{ double_type() }}) as interaction_weight
    from product_events
    group by 1, 2, 3
)

select * from final
