{#- Surrogate key: md5 over the '|'-joined text of the columns; null becomes a marker so (a, null) <> (null, a). -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ string_type() ~ "), '_null_')") -%}
    {%- endfor -%}
    {{ hash_text(parts | join(" || '|' || ")) }}
{%- endmacro %}
