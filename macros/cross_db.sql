{#- Engine-specific expressions live here, dispatched per adapter, so models stay engine-neutral. -#}

{% macro try_cast_as(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast_as', 'emporium')(expression, data_type)) }}
{%- endmacro %}

{% macro duckdb__try_cast_as(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- Postgres has no try_cast: only cast text whose shape the target type accepts. -#}
{% macro default__try_cast_as(expression, data_type) -%}
    {%- set t = data_type | lower -%}
    {%- if t in ('bigint', 'integer', 'int') -%}
        case when trim({{ expression }}) ~ '^[+-]?[0-9]{1,18}$' then cast(trim({{ expression }}) as {{ data_type }}) end
    {%- elif t.startswith('decimal') or t.startswith('numeric') -%}
        case when trim({{ expression }}) ~ '^[+-]?[0-9]{1,16}(\.[0-9]+)?$' then cast(trim({{ expression }}) as {{ data_type }}) end
    {%- elif t == 'timestamp' -%}
        case when trim({{ expression }}) ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?)?$'
            then cast(trim({{ expression }}) as timestamp) end
    {%- elif t == 'date' -%}
        case when trim({{ expression }}) ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then cast(trim({{ expression }}) as date) end
    {%- elif t == 'boolean' -%}
        case when lower(trim({{ expression }})) in ('true', 'false', 't', 'f', '1', '0') then cast(lower(trim({{ expression }})) as boolean) end
    {%- else -%}
        cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro regexp_matches(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'emporium')(expression, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_matches(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__regexp_matches(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{#- True when the text is a JSON object (not an array, scalar or garbage). -#}
{% macro is_json_object(expression) -%}
    {{ return(adapter.dispatch('is_json_object', 'emporium')(expression)) }}
{%- endmacro %}

{% macro duckdb__is_json_object(expression) -%}
    {#- valid JSON whose first character after JSON's whitespace is `{` is an object: one parse per line, where
        json_type parsed it a second time (the same verdict on all 14 M lines at SF 1, 40 % less time) -#}
    coalesce(
        json_valid({{ expression }})
        and starts_with(ltrim({{ expression }}, ' ' || chr(9) || chr(10) || chr(13)), '{'),
        false
    )
{%- endmacro %}

{% macro default__is_json_object(expression) -%}
    coalesce(pg_input_is_valid({{ expression }}, 'jsonb') and jsonb_typeof(cast({{ expression }} as jsonb)) = 'object', false)
{%- endmacro %}

{#- The text value of one top-level key of a JSON object; only call on rows where is_json_object holds. -#}
{% macro json_text(expression, key) -%}
    {{ return(adapter.dispatch('json_text', 'emporium')(expression, key)) }}
{%- endmacro %}

{% macro duckdb__json_text(expression, key) -%}
    json_extract_string(case when json_valid({{ expression }}) then {{ expression }} end, '$.{{ key }}')
{%- endmacro %}

{% macro default__json_text(expression, key) -%}
    (cast({{ expression }} as jsonb) ->> '{{ key }}')
{%- endmacro %}

{#-
  The text values of top-level keys of a JSON object, in the order of `keys`, as one value parsed once
  (json_text parses the whole line per key): an array, on DuckDB a struct; null when the text is not a JSON
  object (is_json_object). Read item i (1-based) with json_value_at.
-#}
{% macro json_object_values(expression, keys) -%}
    {{ return(adapter.dispatch('json_object_values', 'emporium')(expression, keys)) }}
{%- endmacro %}

{% macro duckdb__json_object_values(expression, keys) -%}
    {#- duckdb's case evaluates a branch only for the rows that take it, so the transform sees valid objects.
        json_transform to a struct of text gives each key's text as json_extract_string does (same values on
        all 14 M lines at SF 1) at half the time of extracting a list of paths -#}
    case when {{ is_json_object(expression) }}
        then json_transform(
            {{ expression }}, '{ {%- for key in keys %}"{{ key }}": "VARCHAR"{{ ', ' if not loop.last }}{% endfor -%} }'
        )
    end
{%- endmacro %}

{% macro default__json_object_values(expression, keys) -%}
    case when {{ is_json_object(expression) }}
        then array[{% for key in keys %}{{ json_text(expression, key) }}{{ ', ' if not loop.last }}{% endfor %}]
    end
{%- endmacro %}

{% macro json_value_at(values, index) -%}
    {{ return(adapter.dispatch('json_value_at', 'emporium')(values, index)) }}
{%- endmacro %}

{% macro duckdb__json_value_at(values, index) -%}
    struct_extract_at({{ values }}, {{ index }})
{%- endmacro %}

{% macro default__json_value_at(values, index) -%}
    ({{ values }})[{{ index }}]
{%- endmacro %}

{#-
  An aggregate: `value` on the group's row that sorts first by `order_by` (a list of expressions, ascending;
  the caller makes them unique within the group), among the rows where `where` holds (every row when none);
  null when that row's value is null. One pass of the group-by, where a row_number() window sorts every row
  of every group first.
-#}
{% macro first_by(value, order_by, where=none) -%}
    {{ return(adapter.dispatch('first_by', 'emporium')(value, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__first_by(value, order_by, where) -%}
    arg_min_null({{ value }}, row({{ order_by | join(', ') }})){{ aggregate_filter(where) }}
{%- endmacro %}

{% macro default__first_by(value, order_by, where) -%}
    (array_agg({{ value }} order by {{ order_by | join(', ') }}){{ aggregate_filter(where) }})[1]
{%- endmacro %}

{% macro aggregate_filter(where) -%}
    {%- if where is not none %} filter (where {{ where }}){% endif -%}
{%- endmacro %}

{#-
  `with name as {{ not_materialized() }} (...)`: an import CTE that several later CTEs filter. DuckDB
  materializes every CTE referenced more than once, so a window filter on it (an incremental run's few
  keys) would scan and copy the whole table first; inlined, each reference is filtered at its scan. Other
  engines keep their default.
-#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'emporium')()) }}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{#-
  `with name as {{ materialized_cte() }} (...)`: the CTE is computed on its own, before the query reading it.
  DuckDB otherwise moved bronze's window filter above the JSON parse once shop_validation left-joins the
  known keys: an incremental day parsed all 14 M raw web events at SF 1 to keep the day's 21 k (6.5 s
  against 0.2 s, EXPLAIN ANALYZE). Only for a few rows: materialized, every row is held at once. Other engines
  keep their default.
-#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'emporium')()) }}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro hash_text(expression) -%}
    {{ return(adapter.dispatch('hash_text', 'emporium')(expression)) }}
{%- endmacro %}

{% macro default__hash_text(expression) -%}
    md5({{ expression }})
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'emporium')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{#- ISO day of the week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'emporium')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    extract(isodow from {{ date_expression }})
{%- endmacro %}

{#- An 8-byte floating point type (DuckDB's `float` is 4 bytes). -#}
{% macro double_type() -%}
    {{ return(adapter.dispatch('double_type', 'emporium')()) }}
{%- endmacro %}

{% macro default__double_type() -%}
    double precision
{%- endmacro %}

{#- A variable-length string: `varchar` where the contracts say so (on Postgres, dbt's type_string() is `text`,
    which an incremental model's on_schema_change check sees as a change from the contract's varchar). -#}
{% macro string_type() -%}
    {{ return(adapter.dispatch('string_type', 'emporium')()) }}
{%- endmacro %}

{% macro default__string_type() -%}
    varchar
{%- endmacro %}
