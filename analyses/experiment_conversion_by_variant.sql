-- A/B experiment readout: session conversion per variant, over sessions that started after the
-- customer was assigned. A naive difference in means; compare it with _truth/experiment.json.
with assignments as (
    select * from {{ ref('experiment_assignments') }}
),

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

exposed_sessions as (
    select
        assignments.variant,
        fct_sessions.session_id,
        fct_sessions.has_purchase
    from fct_sessions
    inner join assignments
        on
            fct_sessions.customer_id = assignments.customer_id
            and fct_sessions.session_started_at >= assignments.assigned_at
),

final as (
    select
        variant,
        count(*) as sessions,
        sum(case when has_purchase then 1 else 0 end) as converted_sessions,
        avg(case when has_purchase then 1.0 else 0.0 end) as conversion_rate
    from exposed_sessions
    group by variant
)

select * from final
