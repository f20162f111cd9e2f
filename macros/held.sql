{#-
  Held rows. A child row whose parent has not arrived is neither failed nor lost: its silver model leaves it
  out (so relationships hold) and silver.held_<entity> shows it, until the build in which the parent arrives
  releases it. Two kinds of parent:
  - an order's lines, payments and returns wait for their order (and a return for its line), which may land
    later than they do or sit in a rejected file;
  - a reference the contract declares (`fk`: a customer, a product) is held only while a landing file of the
    parent is rejected (shop_validation's unknown_<parent> rule stands aside for rows landed since then); once
    the re-sent file loads, the run from its day to the newest judges those rows again (orchestration's
    landing sensor), and a reference that is still unknown goes to quarantine as the contract says.
  held_parents(): per child entity its parents, checked in this order: [child column, parent model, key].
-#}
{% macro held_parents() -%}
    {%- set parents = {
        'order_items': [['order_id', 'orders', 'order_id']],
        'payments': [['order_id', 'orders', 'order_id']],
        'returns': [['order_id', 'orders', 'order_id'], ['order_item_id', 'order_items', 'order_item_id']],
    } -%}
    {%- for entity, columns in shop_entities().items() %}
        {%- for c in columns if c.fk is defined %}
            {%- do parents.setdefault(entity, []).append([c.name, c.fk, shop_entity(c.fk)[0].name]) %}
        {%- endfor %}
    {%- endfor %}
    {{ return(parents) }}
{%- endmacro %}

{#- Predicate: every parent of the (current) row is in silver (a null optional reference has none). -#}
{% macro parents_present(entity) -%}
    {%- for column, model, parent_key in held_parents()[entity] %}
        ({{ column }} is null or {{ column }} in (select {{ parent_key }} from {{ ref(model) }})){{ ' and' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#-
  SQL boolean for shop_validation: the row landed on or after the first landing day of a still-rejected file
  of `parent`, so an unknown reference to it may be in that file and waits instead of failing.
-#}
{% macro parent_file_rejected_since(parent) -%}
    coalesce(_landing_date >= (
        select min(open_rejection.landing_day)
        from ({{ open_rejections() }}) as open_rejection
        where open_rejection.entity = '{{ parent }}'
    ), false)
{%- endmacro %}

{#-
  The whole select of silver.held_<entity>: the current state of every key whose current row waits for a
  parent (latest updated_at wins, as in the silver model), bronze-typed, with held_reason, the first missing
  parent (parent_entity, parent_key) and the held row's landing day and file.
-#}
{% macro held_rows(entity) -%}
    {%- set columns = shop_entity(entity) | map(attribute='name') | list -%}
    {%- set key = columns[0] -%}
    {%- set parents = held_parents()[entity] -%}
with stg_rows as {{ not_materialized() }} (
    select * from {{ ref('stg_shop__' ~ entity) }}
),
{%- for column, model, parent_key in parents %}

known_{{ column }} as (
    select distinct {{ parent_key }} as known_id
    from {{ ref(model) }}
),
{%- endfor %}

{#- a missing parent is a left join to the parent's keys (distinct, never null), not `not in (select ...)`:
    Spark plans that null-aware subquery as a nested-loop join of every row with every key (like bronze's
    validation, macros/shop_validation.sql), the other engines as a hash join #}
with_parents as {{ not_materialized() }} (
    select
        stg_rows.*,
        case
        {%- for column, model, parent_key in parents %}
            when stg_rows.{{ column }} is not null and known_{{ column }}.known_id is null then '{{ model }}'
        {%- endfor %}
        end as parent_entity
    from stg_rows
    {%- for column, model, parent_key in parents %}
    left join known_{{ column }} on stg_rows.{{ column }} = known_{{ column }}.known_id
    {%- endfor %}
),

waiting_keys as (
    select distinct {{ key }}
    from with_parents
    where parent_entity is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by {{ key }}
            order by {{ 'updated_at desc, ' if 'updated_at' in columns }}_landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by {{ key }}) as _last_landed_on
    from with_parents
    where {{ key }} in (select waiting_keys.{{ key }} from waiting_keys)
),

final as (
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        'waiting_for_parent' as held_reason,
        parent_entity,
        case parent_entity
        {%- for column, model, parent_key in parents %}
            when '{{ model }}' then {{ column }}
        {%- endfor %}
        end as parent_key,
        _landing_date,
        _source_file,
        _last_landed_on
    from ranked
    where row_rank = 1 and parent_entity is not null
)

select * from final
{%- endmacro %}
