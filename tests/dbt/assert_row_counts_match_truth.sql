{{ config(tags=['truth'], meta={'dagster': {'ref': {'name': 'orders'}}}) }}
-- Per entity: landed rows, clean rows and quarantined rows equal the generator's truth, and
-- raw = clean + collapsed + quarantined, so nothing was dropped or invented on the way. Clean rows are the
-- silver rows plus the rows held for a parent that has not arrived (silver.held_<entity>): clean, waiting.
-- An entity with a rejected landing file (macros/truth.sql) is short of that file's rows until it is
-- re-sent: it must then hold fewer rows than the truth, never more, and still balance raw = valid + quarantined.
-- An entity whose customers or products file is rejected holds its unknown references instead of quarantining
-- them (macros/held.sql): it lands every row, quarantines no more than the truth, and balances.
{%- set entities = shop_entities().keys() | list %}
{%- set held_entities = held_parents().keys() | list %}
with warehouse_counts as (
    {%- for entity in entities %}
        select
            '{{ entity }}' as entity,
            (select count(*) from {{ source('shop', entity) }}) as raw_rows,
            (select count(*) from {{ ref(entity) }})
            {%- if entity in held_entities %}
                + (select count(*) from {{ ref('held_' ~ entity) }})
            {%- endif %} as clean_rows,
            (select count(*) from {{ ref('quarantine_' ~ entity) }}) as quarantined_rows,
            (select count(*) from {{ ref('stg_shop__' ~ entity) }}) as valid_rows
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

truth as (
    select
        entity,
        cast(raw_rows as bigint) as raw_rows,
        cast(clean_rows as bigint) as clean_rows,
        cast(collapsed_rows as bigint) as collapsed_rows,
        cast(quarantined_rows as bigint) as quarantined_rows
    from {{ source('truth', 'row_counts') }}
),

compared as (
    select
        coalesce(warehouse_counts.entity, truth.entity) as entity,
        warehouse_counts.raw_rows,
        truth.raw_rows as truth_raw_rows,
        warehouse_counts.clean_rows,
        truth.clean_rows as truth_clean_rows,
        warehouse_counts.valid_rows - warehouse_counts.clean_rows as collapsed_rows,
        truth.collapsed_rows as truth_collapsed_rows,
        warehouse_counts.quarantined_rows,
        truth.quarantined_rows as truth_quarantined_rows,
        warehouse_counts.valid_rows,
        coalesce(warehouse_counts.entity, truth.entity) in ({{ rejected_entities() }}) as has_rejected_file,
        case coalesce(warehouse_counts.entity, truth.entity)
            {%- for entity in entities %}
                {%- set parents = shop_fk_parents(entity) %}
                {%- if parents %}
                    when '{{ entity }}' then not {{ truth_is_complete_for(parents) }}
                {%- endif %}
            {%- endfor %}
            else false
        end as has_rejected_parent
    from warehouse_counts
    full outer join truth
        on warehouse_counts.entity = truth.entity
)

select * from compared
where
    raw_rows is distinct from valid_rows + quarantined_rows
    or (
        not has_rejected_file
        and not has_rejected_parent
        and (
            raw_rows is distinct from truth_raw_rows
            or clean_rows is distinct from truth_clean_rows
            or collapsed_rows is distinct from truth_collapsed_rows
            or quarantined_rows is distinct from truth_quarantined_rows
        )
    )
    or (
        has_rejected_file
        and not (raw_rows < truth_raw_rows and quarantined_rows <= truth_quarantined_rows)
    )
    or (
        has_rejected_parent
        and not has_rejected_file
        and not (raw_rows = truth_raw_rows and quarantined_rows <= truth_quarantined_rows)
    )
