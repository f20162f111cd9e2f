-- Order lines held back from silver.order_items because their order is not (yet) in silver.orders: its
-- orders file was rejected, or the order lands later than its lines. Released into silver.order_items by
-- the build in which the order arrives (macros/held.sql).
{{ held_rows('order_items') }}
