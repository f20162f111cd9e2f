-- A held row is one whose parent is really missing, and never also in its silver model: held rows whose
-- parents are all present, or keys both held and in silver, are returned (each counted twice or lost).
{{ config(meta={'dagster': {'ref': {'name': 'held_order_items'}}}) }}
{%- set entities = held_parents().keys() | list %}
with failures as (
    {%- for entity in entities %}
        {%- set key = shop_entity(entity)[0].name %}
        select
            '{{ entity }}' as entity,
            cast({{ key }} as {{ string_type() }}) as held_key,
            'parent present' as problem
        from {{ ref('held_' ~ entity) }}
        where {{ parents_present(entity) }}

        union all

        select
            '{{ entity }}' as entity,
            cast({{ key }} as {{ string_type() }}) as held_key,
            'also in silver' as problem
        from {{ ref('held_' ~ entity) }}
        where {{ key }} in (select {{ key }} from {{ ref(entity) }})
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from failures
