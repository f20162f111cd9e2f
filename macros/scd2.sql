{#-
  Join predicate picking the dimension version valid at `event_at`: valid_from <= event_at < valid_to.
  The first version also covers anything earlier (an event stamped before the entity's first change-feed
  row still gets a version), so every event matches exactly one version.
-#}
{% macro scd2_valid_at(dim_alias, event_at) -%}
    {{ return(adapter.dispatch('scd2_valid_at', 'emporium')(dim_alias, event_at)) }}
{%- endmacro %}

{#- DuckDB hash-joins only on comparisons: an `or` in the join condition turns the join into a blockwise
    nested loop (every event against every version: quadratic, 401 s for fct_order_items at SF 1). The open
    ends as infinite bounds keep the predicate a pure comparison, so the key is hashed and the range checked
    per match. Same rows as the default (event_at is never null: not_null tests in silver). -#}
{% macro duckdb__scd2_valid_at(dim_alias, event_at) -%}
    {{ event_at }} >= case
        when {{ dim_alias }}.version_number = 1 then cast('-infinity' as timestamp) else {{ dim_alias }}.valid_from
    end
    and {{ event_at }} < coalesce({{ dim_alias }}.valid_to, cast('infinity' as timestamp))
{%- endmacro %}

{#- Postgres (and others) hash-join on the key and apply the rest as a join filter. -#}
{% macro default__scd2_valid_at(dim_alias, event_at) -%}
    ({{ event_at }} >= {{ dim_alias }}.valid_from or {{ dim_alias }}.version_number = 1)
    and ({{ event_at }} < {{ dim_alias }}.valid_to or {{ dim_alias }}.valid_to is null)
{%- endmacro %}
