{{ config(contract={'enforced': true}) }}
-- One row per (landing day, entity) that had a quarantined row or a rejected landing file: the rows bronze
-- quarantined (bronze.quarantine_<entity>) and the files the raw load left out (quality.rejected_files).
{%- set entities = shop_entities().keys() | list %}
with quarantined as (
    {%- for entity in entities %}
        select
            '{{ entity }}' as entity,
            _landing_date as landing_date
        from {{ ref('quarantine_' ~ entity) }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

rejected_files as (
    select * from {{ source('raw_load', 'rejected_files') }}
),

quarantine_counts as (
    select
        landing_date,
        entity,
        count(*) as quarantined_rows
    from quarantined
    group by 1, 2
),

rejection_counts as (
    select
        landing_day as landing_date,
        entity,
        count(distinct file) as rejected_files,
        count(distinct case when resolved_at is null then file end) as open_rejected_files
    from rejected_files
    group by 1, 2
),

final as (
    select
        cast(coalesce(quarantine_counts.landing_date, rejection_counts.landing_date) as date) as landing_date,
        cast(coalesce(quarantine_counts.entity, rejection_counts.entity) as {{ string_type() }}) as entity,
        cast(coalesce(quarantine_counts.quarantined_rows, 0) as bigint) as quarantined_rows,
        cast(coalesce(rejection_counts.rejected_files, 0) as bigint) as rejected_files,
        cast(coalesce(rejection_counts.open_rejected_files, 0) as bigint) as open_rejected_files
    from quarantine_counts
    full outer join rejection_counts
        on
            quarantine_counts.landing_date = rejection_counts.landing_date
            and quarantine_counts.entity = rejection_counts.entity
)

select * from final
