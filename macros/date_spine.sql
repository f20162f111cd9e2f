{#- One row per day from start_date to end_date inclusive, column date_day. Both arguments are SQL expressions. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'emporium')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(spine.day_start as date) as date_day
    from generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as spine (day_start)
{%- endmacro %}
