{{ config(tags=['truth'], meta={'dagster': {'ref': {'name': 'quarantine_orders'}}}) }}
-- Bronze quarantine must hold exactly the generator's quarantine defects: same count per
-- (entity, landing file, reason), where reason = the defect name. A rejected landing file (macros/truth.sql)
-- has no rows to quarantine, and while it is out its children are judged without it (unknown_<parent>):
-- both wait for the re-send.
{%- set entities = shop_entities().keys() | list %}
with quarantined as (
    {%- for entity in entities %}
        select
            '{{ entity }}' as entity,
            _source_file as source_file,
            reason
        from {{ ref('quarantine_' ~ entity) }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

quarantine_counts as (
    select
        entity,
        source_file,
        reason,
        count(*) as quarantined_rows
    from quarantined
    group by 1, 2, 3
),

defect_counts as (
    select
        entity,
        source_file,
        defect as reason,
        count(*) as defect_rows
    from {{ source('truth', 'defect_log') }}
    where outcome = 'quarantine'
    group by 1, 2, 3
),

compared as (
    select
        coalesce(quarantine_counts.entity, defect_counts.entity) as entity,
        coalesce(quarantine_counts.source_file, defect_counts.source_file) as source_file,
        coalesce(quarantine_counts.reason, defect_counts.reason) as reason,
        quarantine_counts.quarantined_rows,
        defect_counts.defect_rows
    from quarantine_counts
    full outer join defect_counts
        on
            quarantine_counts.entity = defect_counts.entity
            and quarantine_counts.source_file = defect_counts.source_file
            and quarantine_counts.reason = defect_counts.reason
)

select * from compared
where
    quarantined_rows is distinct from defect_rows
    and source_file not in (select open_rejection.file from ({{ open_rejections() }}) as open_rejection)
    and case entity
        {%- for entity in entities %}
            {%- set parents = shop_fk_parents(entity) %}
            {%- if parents %}
                when '{{ entity }}' then {{ truth_is_complete_for(parents) }}
            {%- endif %}
        {%- endfor %}
        else true
    end
