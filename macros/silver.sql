{#-
  Rows of `relation` to (re)compute in an incremental run: every row of each key that has a row landed on
  or after `cutoff` (so a key is always rebuilt from all its rows). All rows on a full build.
-#}
{% macro rows_of_changed_keys(relation, key, cutoff, landed_column='_landing_date') -%}
    select * from {{ relation }}
    {%- if cutoff is not none %}
    where {{ key }} in (
        select changed.{{ key }} from {{ relation }} as changed
        where changed.{{ landed_column }} >= {{ cutoff }}
    )
    {%- endif %}
{%- endmacro %}

{#-
  CTEs turning a conformed change feed (cte `conformed`: key, content columns, updated_at, _landing_date,
  _source_file) into its versions: one row per (key, updated_at) (re-sends collapse, latest landing wins),
  then only rows whose content differs from the key's previous row (near-duplicates collapse), with
  valid_from = updated_at and valid_to = the next version's valid_from (null while current).
-#}
{% macro change_feed_versions_ctes(key, content_columns) -%}
one_row_per_change as (
    select
        *,
        row_number() over (
            partition by {{ key }}, updated_at order by _landing_date desc, _source_file desc
        ) as change_rank
    from conformed
),

compared as (
    select
        *,
        {{ surrogate_key(content_columns) }} as content_hash,
        lag({{ surrogate_key(content_columns) }}) over (
            partition by {{ key }} order by updated_at
        ) as previous_content_hash,
        max(_landing_date) over (partition by {{ key }}) as _last_landed_on
    from one_row_per_change
    where change_rank = 1
),

distinct_versions as (
    select *
    from compared
    where previous_content_hash is null or previous_content_hash <> content_hash
),

versions as (
    select
        {%- for column in [key] + content_columns %}
        {{ column }},
        {%- endfor %}
        updated_at as valid_from,
        lead(updated_at) over (partition by {{ key }} order by updated_at) as valid_to,
        cast(row_number() over (partition by {{ key }} order by updated_at) as integer) as version_number,
        _landing_date,
        _last_landed_on
    from distinct_versions
)
{%- endmacro %}
