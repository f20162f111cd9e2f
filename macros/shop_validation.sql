{#-
  Bronze validation shared by every stg_shop__<entity> / quarantine_<entity> pair. Emits three CTEs:
  landing_rows (raw text + lineage, incremental window applied), typed_rows (raw_<col> plus typed <col>)
  and validated_rows (adds _reason: the first failed hard rule, in the contract's defect-table order,
  then the rules the contract has no defect for: invalid_number, invalid_value). _reason null = valid.
-#}
{% macro shop_validation_ctes(entity) -%}
    {%- set columns = shop_entity(entity) -%}
    {%- set key = columns[0] -%}
    {%- set cutoff = landing_cutoff() -%}
    {%- set end = landing_end() -%}
    {%- set date_col = adapter.quote('date') -%}
    {%- set fks = columns | selectattr('fk', 'defined') | list %}
{%- for fk_entity in shop_fk_parents(entity) %}
known_{{ fk_entity }} as (
    select distinct {{ shop_entity(fk_entity)[0].name }} as known_id
    from {{ ref('stg_shop__' ~ fk_entity) }}
),
{%- endfor %}

{#- materialized on an incremental run only: the window's few rows first (macros/cross_db.sql); a full build
    streams every row through -#}
landing_rows as {{ materialized_cte() if cutoff is not none }} (
    select
    {%- if entity == 'web_events' %}
        raw_line,
        _json_values is not null as _is_json_object,
        {%- for c in columns %}
        {{ json_value_at('_json_values', loop.index) }} as raw_{{ c.name }},
        {%- endfor %}
    {%- else %}
        {%- for c in columns %}
        nullif(cast({{ c.name }} as {{ string_type() }}), '') as raw_{{ c.name }},
        {%- endfor %}
    {%- endif %}
        _source_file,
        _landing_date
    from (
        select
            *,
        {%- if entity == 'web_events' %}
            {#- each line parsed once for all its fields, not once per field #}
            {{ json_object_values('raw_line', columns | map(attribute='name') | list) }} as _json_values,
        {%- endif %}
            cast({{ date_col }} as date) as _landing_date
        from {{ source('shop', entity) }}
        where {{ landed_in_window("cast(" ~ date_col ~ " as date)", cutoff, end) }}
    ) as landed
),

typed_rows as (
    select
        *,
        {%- for c in columns %}
        {%- if c.kind in ('text', 'sid', 'email') %}
        raw_{{ c.name }} as {{ c.name }}{{ ',' if not loop.last }}
        {%- else %}
        {{ try_cast_as('raw_' ~ c.name, shop_kind_type(c.kind)) }} as {{ c.name }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from landing_rows
),

validated_rows as (
    select
        typed_rows.*,
        case
        {%- if entity == 'web_events' %}
            when not _is_json_object then 'malformed_json'
        {%- endif %}
        {%- if key.kind == 'id' %}
            when {{ key.name }} is null or {{ key.name }} <= 0 then 'missing_key'
        {%- else %}
            when nullif(trim({{ key.name }}), '') is null then 'missing_key'
        {%- endif %}
        {%- for c in columns if c.kind in ('ts', 'date') %}
            when (raw_{{ c.name }} is not null and {{ c.name }} is null)
                {%- if not c.nullable %} or raw_{{ c.name }} is null{% endif %} then 'invalid_timestamp'
        {%- endfor %}
        {%- for c in columns if c.kind == 'ts' %}
            when cast({{ c.name }} as date) > _landing_date then 'timestamp_in_future'
        {%- endfor %}
        {%- for c in columns if c.kind == 'quantity' %}
            when {{ c.name }} <= 0 then 'negative_quantity'
        {%- endfor %}
        {%- for c in columns if c.kind == 'money' %}
            when {{ c.name }} < 0 then 'negative_amount'
        {%- endfor %}
        {%- for c in fks if c.fk == 'products' %}
            when {{ c.name }} is not null and known_{{ c.name }}.known_id is null
                and not {{ parent_file_rejected_since('products') }} then 'unknown_product'
        {%- endfor %}
        {%- for c in fks if c.fk == 'customers' %}
            when {{ c.name }} is not null and known_{{ c.name }}.known_id is null
                and not {{ parent_file_rejected_since('customers') }} then 'unknown_customer'
        {%- endfor %}
        {%- for c in columns if c.kind == 'email' %}
            when raw_{{ c.name }} is null
                or not {{ regexp_matches('lower(trim(raw_' ~ c.name ~ '))', '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$') }}
                then 'malformed_email'
        {%- endfor %}
        {%- for c in columns[1:] if c.kind in ('id', 'quantity', 'money') %}
            when (raw_{{ c.name }} is not null and {{ c.name }} is null)
                {%- if not c.nullable %} or raw_{{ c.name }} is null{% endif %} then 'invalid_number'
        {%- endfor %}
        {%- for c in columns if c.accepted is defined %}
            when lower(trim(raw_{{ c.name }})) not in ('{{ c.accepted | join("', '") }}')
                or raw_{{ c.name }} is null then 'invalid_value'
        {%- endfor %}
        {%- for c in columns if c.kind == 'bool' %}
            when {{ c.name }} is null then 'invalid_value'
        {%- endfor %}
        end as _reason
    from typed_rows
    {#- an unknown parent key is a left join to the known keys (distinct, never null), not `not in (select
        ...)`: Spark plans that null-aware subquery inside a CASE as a nested-loop join of every row with
        every key (bronze's quarantine_orders took 789 s at SF 1 on Spark), the other engines as a hash join #}
    {%- for c in fks %}
    left join known_{{ c.fk }} as known_{{ c.name }} on typed_rows.{{ c.name }} = known_{{ c.name }}.known_id
    {%- endfor %}
)
{%- endmacro %}

{#- Select list of a stg_shop__ model: the typed columns plus lineage. -#}
{% macro shop_typed_columns(entity) -%}
    {%- for c in shop_entity(entity) %}
        {{ c.name }},
    {%- endfor %}
        _source_file,
        _landing_date,
        cast({{ dbt.current_timestamp() }} as timestamp) as _loaded_at
{%- endmacro %}

{#- Select list of a quarantine_ model: the raw text values under their landing names, lineage, reason. -#}
{% macro shop_raw_columns(entity) -%}
    {%- if entity == 'web_events' %}
        raw_line,
    {%- endif %}
    {%- for c in shop_entity(entity) %}
        raw_{{ c.name }} as {{ c.name }},
    {%- endfor %}
        _source_file,
        _landing_date,
        _reason as reason
{%- endmacro %}
