{#-
  The landing contract (docs/landing-zone.md), declared once in dbt_project.yml (vars.landing_contract; Python
  reads the same file): per entity its columns in landing order, the primary key first. kinds: id (positive
  bigint), sid (prefixed string id), text, email, money (decimal(18,2), >= 0), quantity (bigint, > 0), ts
  (timestamp), date, bool. `nullable` columns may be empty; `accepted` lists an enum's values; `fk` names the
  entity whose valid bronze keys must contain the value.
-#}
{% macro shop_entities() -%}
    {%- set entities = {} -%}
    {%- for name, entity in var('landing_contract').items() -%}
        {%- do entities.update({name: entity.columns}) -%}
    {%- endfor -%}
    {{ return(entities) }}
{%- endmacro %}

{#- The entities an entity's columns refer to (`fk`), in column order, each once. -#}
{% macro shop_fk_parents(entity) -%}
    {{ return(shop_entity(entity) | selectattr('fk', 'defined') | map(attribute='fk') | unique | list) }}
{%- endmacro %}

{#- One entity's columns, primary key first. -#}
{% macro shop_entity(entity) -%}
    {{ return(shop_entities()[entity]) }}
{%- endmacro %}

{% macro shop_kind_type(kind) -%}
    {{ return({
        'id': 'bigint', 'quantity': 'bigint', 'money': 'decimal(18,2)', 'ts': 'timestamp',
        'date': 'date', 'bool': 'boolean', 'text': string_type(), 'sid': string_type(), 'email': string_type(),
    }[kind]) }}
{%- endmacro %}
