{#-
  Postgres (15+) implementations of the cross_db.sql macros where default__ needs more than PG 15 has:
  no pg_input_is_valid (PG 16) and no try_cast. Dispatch picks postgres__ before default__.
-#}

{#- on-run-start: the helper functions the macros below call (idempotent; a no-op on other engines). -#}
{% macro create_engine_helpers() -%}
    {{ return(adapter.dispatch('create_engine_helpers', 'emporium')()) }}
{%- endmacro %}

{% macro default__create_engine_helpers() -%}
    select 1
{%- endmacro %}

{% macro postgres__create_engine_helpers() -%}
    create schema if not exists {{ target.schema }};
    {#- the text as jsonb when it parses as a JSON object, else null (never raises) -#}
    create or replace function {{ target.schema }}.emporium_json_object(value text) returns jsonb
    language plpgsql immutable parallel safe as $fn$
    declare
        parsed jsonb;
    begin
        parsed := value::jsonb;
        return case when jsonb_typeof(parsed) = 'object' then parsed end;
    exception when others then
        return null;
    end
    $fn$;
{%- endmacro %}

{#- Same contract as duckdb__is_json_object; the regex skips the parse for lines that cannot be objects. -#}
{% macro postgres__is_json_object(expression) -%}
    coalesce({{ expression }} ~ '^\s*\{' and {{ target.schema }}.emporium_json_object({{ expression }}) is not null, false)
{%- endmacro %}

{% macro postgres__json_text(expression, key) -%}
    ({{ target.schema }}.emporium_json_object({{ expression }}) ->> '{{ key }}')
{%- endmacro %}

{#-
  default__ checks the shape with a regex, but a date also needs a real day of its month: 2024-02-30 has
  the shape, DuckDB's try_cast gives null, a Postgres cast raises. So default__ only sees text whose date
  part is a real day (or that is not date-shaped at all). Nested CASEs: the day arithmetic runs only on text
  whose first ten characters are YYYY-MM-DD with a month 01..12 and a year above 0.
-#}
{% macro postgres__try_cast_as(expression, data_type) -%}
    {%- if (data_type | lower) in ('timestamp', 'date') -%}
        {%- set v = 'trim(' ~ expression ~ ')' -%}
        {%- set real_day -%}
        (case when {{ v }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}' and substr({{ v }}, 1, 4) <> '0000' then
            case when cast(substr({{ v }}, 9, 2) as integer) <= extract(day from
                make_date(cast(substr({{ v }}, 1, 4) as integer), cast(substr({{ v }}, 6, 2) as integer), 1)
                + interval '1 month' - interval '1 day') then {{ expression }} end
        else {{ expression }} end)
        {%- endset -%}
        {{ default__try_cast_as(real_day, data_type) }}
    {%- else -%}
        {{ default__try_cast_as(expression, data_type) }}
    {%- endif -%}
{%- endmacro %}
