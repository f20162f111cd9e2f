-- Payments held back from silver.payments because their order is not (yet) in silver.orders (its orders
-- file was rejected, or the order lands later). Released by the build in which the order arrives
-- (macros/held.sql).
{{ held_rows('payments') }}
