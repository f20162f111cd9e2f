{#-
  Feature-mart CTE body: per (customer_id, as_of_date) of cte `customer_days`, the count of `relation` rows of
  that customer whose `timestamp_column` lies in [as_of_date - days_before, as_of_date) (days_before none:
  no lower bound) or, with days_after, in [as_of_date, as_of_date + days_after). Output column `name`.
-#}
{% macro count_in_window(relation, timestamp_column, name, days_before=none, days_after=none) -%}
    select
        customer_days.customer_id,
        customer_days.as_of_date,
        count(*) as {{ name }}
    from customer_days
    inner join {{ relation }}
        on
            customer_days.customer_id = {{ relation }}.customer_id
            {%- if days_after is none %}
            and {{ relation }}.{{ timestamp_column }} < customer_days.as_of_date
            {%- if days_before is not none %}
            and {{ relation }}.{{ timestamp_column }} >= customer_days.as_of_date - {{ days_before }}
            {%- endif %}
            {%- else %}
            and {{ relation }}.{{ timestamp_column }} >= customer_days.as_of_date
            and {{ relation }}.{{ timestamp_column }} < customer_days.as_of_date + {{ days_after }}
            {%- endif %}
    group by 1, 2
{%- endmacro %}

{#- `left join` each feature CTE to customer_days on (customer_id, as_of_date). -#}
{% macro left_join_features(ctes) -%}
    {%- for cte in ctes %}
    left join {{ cte }}
        on customer_days.customer_id = {{ cte }}.customer_id and customer_days.as_of_date = {{ cte }}.as_of_date
    {%- endfor %}
{%- endmacro %}
