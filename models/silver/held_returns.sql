-- Returns held back from silver.returns because their order is not (yet) in silver.orders or their order
-- line not in silver.order_items (rejected file, later landing, or the line held itself). Released by the
-- build in which the parent arrives (macros/held.sql).
{{ held_rows('returns') }}
