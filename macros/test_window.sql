{#-
  dbt's `where` config of generic tests (this overrides dbt's own get_where_subquery, as dbt's docs show),
  plus one rule: a row-level test (row_tests() below) of an incremental model that this same `dbt build`
  invocation selected reads only the rows the invocation wrote (`_invocation_id`, macros/incremental.sql).
  An appended day then tests that day's rows (at SF 1 the silver and gold tests read 14 M web events and
  sessions on every run otherwise); a full build wrote every row, so it tests every row. A `unique` test
  keeps every row whose key the invocation wrote, so a new row repeating an old key still fails;
  relationships read every row. A failure is reported by the build that wrote the rows (its Dagster check
  fails); a later build does not read those rows again. Every row is read by `dbt test`, a full refresh, a
  check re-run on its own, a build that did not select the model, and the tests of an incremental model
  without the documented `_invocation_id` column (write `{{ invocation_column() }}` last in its select and
  declare the column).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set window = invocation_window(relation) -%}
    {%- if window -%}
        {%- set where = window ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The predicate for the rows of `relation` this invocation wrote, or '' when the test reads them all. -#}
{% macro invocation_window(relation) -%}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = model.attached_node -%}
    {%- if not tested or tested not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set node = graph.nodes.get(tested) -%}
    {#- an incremental model opts in by declaring the column in its yml (the twelve here do) -#}
    {%- if node is none or node.config.materialized != 'incremental' or node.alias != relation.identifier
        or '_invocation_id' not in node.columns -%}
        {{ return('') }}
    {%- endif -%}
    {%- set kind = model.test_metadata.name if model.test_metadata else none -%}
    {%- set written = "_invocation_id = '" ~ invocation_id ~ "'" -%}
    {%- if kind == 'unique' -%}
        {%- set key = model.test_metadata.kwargs.column_name -%}
        {{ return(key ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ written ~ ')') }}
    {%- elif kind in row_tests() -%}
        {{ return(written) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- Tests that judge each row on its own, so the rows a build wrote are all they need. Any other test (a
    relationship, whose parent may lose a key that old rows still point to; a combination's uniqueness; a
    new kind) reads every row. -#}
{% macro row_tests() -%}
    {{ return(['not_null', 'accepted_values', 'accepted_contract_values', 'landing_contract', 'expression_is_true']) }}
{%- endmacro %}
