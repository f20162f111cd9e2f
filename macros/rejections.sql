{#-
  The landing files the raw load rejected and no later load of their day has resolved (quality.rejected_files,
  ingest/rejections.py): what bronze validation (macros/held.sql) and the truth tests (macros/truth.sql) must
  treat as not landed yet. One row per open problem: entity, landing_day, file.
-#}
{% macro open_rejections() -%}
    select
        rejected.entity,
        cast(rejected.landing_day as date) as landing_day,
        rejected.file
    from {{ source('raw_load', 'rejected_files') }} as rejected
    where rejected.resolved_at is null
{%- endmacro %}
