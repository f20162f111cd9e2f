{#-
  Apache Spark (dbt-spark, plain Parquet tables) implementations of the dispatched macros, where Spark SQL
  differs from DuckDB's and Postgres': no `~` (rlike), no sha256() (sha2), no generate_series (sequence),
  JSON through get_json_object, and no UPDATE, DELETE or MERGE on Parquet tables (docs/scaling.md).
  A backslash in a Spark string literal escapes the next character, so regexes double theirs here.
-#}

{#- Same contract as default__try_cast_as: only text of the target type's shape casts, everything else is
    null; try_cast then also gives null for a shaped but impossible value (2024-02-30), as DuckDB's does. -#}
{% macro spark__try_cast_as(expression, data_type) -%}
    {%- set t = data_type | lower -%}
    {%- set v = 'trim(' ~ expression ~ ')' -%}
    {%- if t in ('bigint', 'integer', 'int') -%}
        case when {{ v }} rlike '^[+-]?[0-9]{1,18}$' then try_cast({{ v }} as {{ data_type }}) end
    {%- elif t.startswith('decimal') or t.startswith('numeric') -%}
        case when {{ v }} rlike '^[+-]?[0-9]{1,16}(\\.[0-9]+)?$' then try_cast({{ v }} as {{ data_type }}) end
    {%- elif t == 'timestamp' -%}
        case when {{ v }} rlike '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])( ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?)?$'
            then try_cast({{ v }} as timestamp) end
    {%- elif t == 'date' -%}
        case when {{ v }} rlike '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then try_cast({{ v }} as date) end
    {%- elif t == 'boolean' -%}
        case when lower({{ v }}) in ('true', 'false', 't', 'f', '1', '0') then lower({{ v }}) in ('true', 't', '1') end
    {%- else -%}
        try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__regexp_matches(expression, pattern) -%}
    coalesce({{ expression }} rlike '{{ pattern | replace('\\', '\\\\') }}', false)
{%- endmacro %}

{#- json_object_keys: the keys of a JSON object, null for invalid JSON and for any other JSON value -#}
{% macro spark__is_json_object(expression) -%}
    coalesce(json_object_keys({{ expression }}) is not null, false)
{%- endmacro %}

{% macro spark__json_text(expression, key) -%}
    get_json_object({{ expression }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}

{% macro spark__date_spine(start_date, end_date) -%}
    select explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day)) as date_day
{%- endmacro %}

{% macro spark__pii_hash(column, salt) -%}
    case when {{ column }} is not null then sha2({{ salt }} || cast({{ column }} as string), 256) end
{%- endmacro %}

{#- Parquet tables take no constraints; one statement per call, so the schema comes first on its own. -#}
{% macro spark__create_erasure_register() -%}
    {%- if execute -%}{%- do run_query('create schema if not exists governance') -%}{%- endif -%}
    create table if not exists governance.erasure_requests (
        customer_id bigint,
        requested_at timestamp
    ) using parquet
{%- endmacro %}

{#- Bronze models replace whole landing days: each day is a Parquet partition, overwritten in place. Models
    keyed by an entity id rebuild whole on Spark (no row-level delete on Parquet; docs/scaling.md). -#}
{% macro spark__keyed_incremental(unique_key) -%}
    {%- if unique_key == '_landing_date' -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite',
                   'partition_by': ['_landing_date'], 'file_format': 'parquet'}) }}
    {%- endif -%}
    {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- endmacro %}

{#-
  Seeds: dbt-spark's session connection pastes bindings between quotes unescaped (New Year's Day breaks the
  statement, a null becomes 'None'), so rows are written as escaped literals instead.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_literal(row[loop.index0]) }} as {{ type }}){{ ',' if not loop.last }}
                {%- endfor -%}){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- The models' documented types (contracts, unit-test fixtures) as Spark spells them. -#}
{% macro spark_type(data_type) -%}
    {%- set spelled = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
    {{ return(spelled.get(data_type | lower | trim, data_type)) }}
{%- endmacro %}

{% macro spark__double_type() -%}
    double
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}

{% macro spark__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}

{#- on-run-start: one statement per call on Spark; no roles there. -#}
{% macro spark__create_governance_objects() -%}
    {{ create_erasure_register() }}
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expression) -%}
    extract(dayofweek_iso from {{ date_expression }})
{%- endmacro %}

{% macro spark__string_type() -%}
    string
{%- endmacro %}

{% macro spark__json_object_values(expression, keys) -%}
    case when {{ is_json_object(expression) }}
        then array({% for key in keys %}{{ json_text(expression, key) }}{{ ', ' if not loop.last }}{% endfor %})
    end
{%- endmacro %}

{% macro spark__json_value_at(values, index) -%}
    element_at({{ values }}, {{ index }})
{%- endmacro %}

{#- The purge on plain Parquet tables (no UPDATE or DELETE): copy the relation, then overwrite it from the copy
    with the rows scrubbed (or left out). INSERT OVERWRITE keeps the table's definition and partitioning. -#}
{% macro spark__scrub_statements(relation, where, assignments, columns) -%}
    {%- set copy = relation.incorporate(path={'identifier': relation.identifier ~ '__purge'}) -%}
    {%- if assignments is none -%}
        {%- set scrubbed = 'select * from ' ~ copy ~ ' where not coalesce(' ~ where ~ ', false)' -%}
    {%- else -%}
        {%- set expressions = [] -%}
        {%- for column in columns -%}
            {%- if column in assignments -%}
                {%- do expressions.append('case when ' ~ where ~ ' then ' ~ assignments[column] ~ ' else ' ~ column ~ ' end as ' ~ column) -%}
            {%- else -%}
                {%- do expressions.append(column) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set scrubbed = 'select ' ~ expressions | join(', ') ~ ' from ' ~ copy -%}
    {%- endif -%}
    {{ return([
        'drop table if exists ' ~ copy,
        'create table ' ~ copy ~ ' using parquet as select * from ' ~ relation,
        'insert overwrite table ' ~ relation ~ ' ' ~ scrubbed,
        'drop table ' ~ copy,
    ]) }}
{%- endmacro %}

{% macro spark__first_by(value, order_by, where) -%}
    min_by({{ value }}, struct({{ order_by | join(', ') }})){{ aggregate_filter(where) }}
{%- endmacro %}
