{#-
  Incremental models re-read the last `lookback_days` landing days before the newest one already loaded,
  so late-arriving rows are picked up. Returns a date literal, or none on a full build / empty target
  (then the caller reads everything).
-#}
{% macro landing_cutoff(date_column='_landing_date') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(max({{ date_column }}) as date) as max_landed from {{ this }}
    {%- endset -%}
    {%- set max_landed = run_query(query).columns[0].values()[0] -%}
    {%- if max_landed is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set cutoff = max_landed - modules.datetime.timedelta(days=var('lookback_days', 3) | int) -%}
    {{ return("cast('" ~ cutoff.strftime('%Y-%m-%d') ~ "' as date)") }}
{%- endmacro %}

{#- `where`-less predicate for "this row landed inside the incremental window"; true on full builds. -#}
{% macro landed_in_window(date_column, cutoff) -%}
    {%- if cutoff is none -%}
        1 = 1
    {%- else -%}
        {{ date_column }} >= {{ cutoff }}
    {%- endif -%}
{%- endmacro %}
