{#- Fails on every combination of `combination_of_columns` occurring more than once. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Fails on rows where `expression` is not true (null counts as a failure). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}

{#-
  accepted_values whose values come from the landing contract (vars.landing_contract), so an enum is
  declared once: `of` names the contract column as entity.column. Nulls pass, as in accepted_values.
-#}
{% test accepted_contract_values(model, column_name, of) %}
    {%- set entity, field = of.split('.') %}
    {%- set declared = shop_entity(entity) | selectattr('name', 'equalto', field) | list %}
    {%- if not declared or 'accepted' not in declared[0] %}
        {{ exceptions.raise_compiler_error("accepted_contract_values: the contract lists no accepted values for " ~ of) }}
    {%- endif %}
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ model }}
    where
        {{ column_name }} not in (
            {%- for value in declared[0]['accepted'] %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor -%}
        )
    group by {{ column_name }}
{% endtest %}

{#-
  A bronze model keeps its landing contract (vars.landing_contract), the checks derived from the one
  declaration: the key and every non-nullable typed column set, quantities positive, amounts not negative.
-#}
{% test landing_contract(model, entity) %}
    {%- set columns = shop_entity(entity) %}
    select *
    from {{ model }}
    where {{ columns[0].name }} is null
    {%- for c in columns[1:] if not c.get('nullable') and c.kind not in ('text', 'sid', 'email') %}
        or {{ c.name }} is null
    {%- endfor %}
    {%- for c in columns if c.kind == 'quantity' %}
        or {{ c.name }} <= 0
    {%- endfor %}
    {%- for c in columns if c.kind == 'money' %}
        or {{ c.name }} < 0
    {%- endfor %}
{% endtest %}
