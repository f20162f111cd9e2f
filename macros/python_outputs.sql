{#-
  The rows of a table a Python asset writes (source python_outputs, schema ml), `columns` (a list of
  [name, type]) cast to their types (dbt.cast, so Spark spells them its way); no rows when the table is not
  written yet (a plain `dbt build`, or before the asset's first run), so a mart over it builds, empty, with
  the same columns.
-#}
{% macro python_output(table, columns) -%}
    {%- set relation = source('python_outputs', table) -%}
    {%- set written = execute and adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) is not none -%}
    select
    {%- for name, type in columns %}
        {{ dbt.cast(name if written else 'null', type) }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    {%- if written %}
    from {{ relation }}
    {%- else %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
