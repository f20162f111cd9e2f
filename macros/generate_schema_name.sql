{#-
  dbt's convention for custom schemas. A prod target (var('prod_targets'): the `duckdb` and `postgres` targets
  the pipeline, the gates, the roles and everything downstream read) builds each layer into its bare name:
  bronze, silver, gold. Any other target is a developer's: it builds into `<target.schema>_<layer>`
  (`dbt_ana_gold` for the `postgres_dev` target with EMPORIUM_DEV_SCHEMA=dbt_ana), so two analytics engineers
  on one server never overwrite each other's or prod's layers. Sources (raw, governance) are shared.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif is_prod_target() -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro is_prod_target() -%}
    {{ return(target.name in var('prod_targets')) }}
{%- endmacro %}
