-- One row per experiment assignment, re-sends collapsed.
-- An assignment whose customer is not in customers (while a customers file is rejected) waits in
-- held_experiment_assignments.
with stg_experiment_assignments as (
    select * from {{ ref('stg_shop__experiment_assignments') }}
),

conformed as (
    select
        assignment_id,
        experiment_id,
        customer_id,
        lower(trim(variant)) as variant,
        assigned_at,
        _landing_date,
        _source_file
    from stg_experiment_assignments
),

ranked as (
    select
        *,
        row_number() over (
            partition by assignment_id order by assigned_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by assignment_id) as _last_landed_on
    from conformed
),

final as (
    select
        assignment_id,
        experiment_id,
        customer_id,
        variant,
        assigned_at,
        _last_landed_on
    from ranked
    where
        row_rank = 1
        and {{ parents_present('experiment_assignments') }}
)

select * from final
