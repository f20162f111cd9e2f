{#-
  Join predicate picking the dimension version valid at `event_at`: valid_from <= event_at < valid_to.
  The first version also covers anything earlier (an event stamped before the entity's first change-feed
  row still gets a version), so every event matches exactly one version.
-#}
{% macro scd2_valid_at(dim_alias, event_at) -%}
    ({{ event_at }} >= {{ dim_alias }}.valid_from or {{ dim_alias }}.version_number = 1)
    and ({{ event_at }} < {{ dim_alias }}.valid_to or {{ dim_alias }}.valid_to is null)
{%- endmacro %}
