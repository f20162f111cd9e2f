{#-
  The truth tests compare the warehouse with the generator's record of the whole landing zone. A landing
  file the raw load rejected (open in quality.rejected_files) is missing from the warehouse until it is
  re-sent, so its rows cannot reconcile; the failing files_accepted_<entity> check on raw/shop is where that
  is reported, once. These macros let a truth test skip exactly what depends on such a file.
-#}

{#- entities with a rejected landing file not yet replaced by a file that loaded -#}
{% macro rejected_entities() -%}
    select distinct open_rejection.entity from ({{ open_rejections() }}) as open_rejection
{%- endmacro %}

{#- true when none of `entities` has an open rejection: the comparisons that read them can run -#}
{% macro truth_is_complete_for(entities) -%}
    not exists (
        select 1
        from ({{ open_rejections() }}) as open_rejection
        where open_rejection.entity in (
            {%- for entity in entities %}'{{ entity }}'{{ ', ' if not loop.last }}{% endfor -%}
        )
    )
{%- endmacro %}
