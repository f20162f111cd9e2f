{#-
  The incremental window. Orchestrated runs (Dagster, one partition = one landing day) pass the partition
  range (YYYY-MM-DD) as the environment variables EMPORIUM_LANDING_START / EMPORIUM_LANDING_END, or as the vars
  `landing_start` / `landing_end` (plain dbt, unit tests; a var wins): bronze re-reads exactly those landing days,
  silver and gold recompute every key with a row landed on or after `landing_start` (a superset, so a
  re-sent old partition is rebuilt however old it is). Without the vars (plain `dbt build`) the window
  starts `lookback_days` before the newest landing day already loaded, to pick up late-arriving rows.
  Returns a date literal, or none on a full build / empty target (then the caller reads everything).
-#}
{% macro landing_cutoff(date_column='_landing_date') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = landing_window_bound('landing_start') -%}
    {%- if start is not none -%}
        {{ return(date_literal(start)) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max({{ date_column }}) as date) as max_landed from {{ this }}
    {%- endset -%}
    {%- set max_landed = run_query(query).columns[0].values()[0] -%}
    {%- if max_landed is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set cutoff = max_landed - modules.datetime.timedelta(days=var('lookback_days', 3) | int) -%}
    {{ return(date_literal(cutoff.strftime('%Y-%m-%d'))) }}
{%- endmacro %}

{#- Upper bound of the window: the orchestrated partition range's last day, else none (no upper bound). -#}
{% macro landing_end() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set end = landing_window_bound('landing_end') -%}
    {{ return(none if end is none else date_literal(end)) }}
{%- endmacro %}

{#-
  One bound of the orchestrated window: the var if set, else EMPORIUM_<NAME>, else none. Only ever called at
  execution (the callers return before it while parsing), so a new window each run leaves dbt's partial
  parse valid: a changed var makes dbt re-parse the whole project (5 s at every run's first dbt op).
-#}
{% macro landing_window_bound(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {%- set value = env_var('EMPORIUM_' ~ name | upper, '') or none -%}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro date_literal(iso_day) -%}
    {%- set day = modules.datetime.date.fromisoformat(iso_day | string) -%}
    {{ return("cast('" ~ day.isoformat() ~ "' as date)") }}
{%- endmacro %}

{#- `where`-less predicate for "this row landed inside the incremental window"; true on full builds. -#}
{% macro landed_in_window(date_column, cutoff, end=none) -%}
    {%- if cutoff is none -%}
        1 = 1
    {%- else -%}
        {{ date_column }} >= {{ cutoff }}
        {%- if end is not none %} and {{ date_column }} <= {{ end }}{% endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
  The incremental configuration of a model keyed by `unique_key` (an entity id, or `_landing_date` for bronze's
  landing days), per engine in this one place: delete+insert where the engine deletes rows (DuckDB, Postgres);
  on Spark see spark__keyed_incremental (macros/spark.sql). Used as `config(**keyed_incremental('order_id'))`.
-#}
{% macro keyed_incremental(unique_key) -%}
    {{ return(adapter.dispatch('keyed_incremental', 'emporium')(unique_key)) }}
{%- endmacro %}

{% macro default__keyed_incremental(unique_key) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': unique_key}) }}
{%- endmacro %}

{#-
  The dbt invocation that wrote a row, as the column `_invocation_id` of every incremental model (the last
  column of its select): the tests of an incremental model that the same `dbt build` built read only the rows
  it wrote (macros/test_window.sql), so an appended day tests that day's rows, not all history.
-#}
{% macro invocation_column() -%}
    cast('{{ invocation_id }}' as {{ string_type() }}) as _invocation_id
{%- endmacro %}
