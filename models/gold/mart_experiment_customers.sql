{{ config(contract={'enforced': true}) }}
{%- set pre_days = var('causal_pre_period_days') %}
-- One row per experiment x assigned customer: the arm, the pre-period before the assignment (CUPED's
-- covariates) and the sessions the experiment's metric counts: started at or after assigned_at, on a day
-- of the experiment's window (var `experiments`), converting when they hold a purchase event.
with assignments as (
    select * from {{ ref('experiment_assignments') }}
),

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

experiments as (
    {%- for experiment in var('experiments') %}
        select
            {{ experiment.experiment_id }} as experiment_id,
            cast('{{ experiment.start_date }}' as date) as start_date,
            cast('{{ experiment.end_date }}' as date) as end_date
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

assigned as (
    select
        assignments.experiment_id,
        assignments.customer_id,
        assignments.variant,
        assignments.assigned_at,
        experiments.start_date,
        experiments.end_date
    from assignments
    inner join experiments on assignments.experiment_id = experiments.experiment_id
),

window_sessions as (
    select
        assigned.experiment_id,
        assigned.customer_id,
        count(*) as sessions,
        sum(case when fct_sessions.has_purchase then 1 else 0 end) as converting_sessions
    from assigned
    inner join fct_sessions
        on
            assigned.customer_id = fct_sessions.customer_id
            and fct_sessions.session_started_at >= assigned.assigned_at
            and fct_sessions.session_date between assigned.start_date and assigned.end_date
    group by 1, 2
),

pre_sessions as (
    select
        assigned.experiment_id,
        assigned.customer_id,
        count(*) as sessions
    from assigned
    inner join fct_sessions
        on
            assigned.customer_id = fct_sessions.customer_id
            and fct_sessions.session_started_at >= assigned.assigned_at - interval '{{ pre_days }} days'
            and fct_sessions.session_started_at < assigned.assigned_at
    group by 1, 2
),

pre_orders as (
    select
        assigned.experiment_id,
        assigned.customer_id,
        count(*) as orders,
        sum(fct_orders.net_amount) as revenue
    from assigned
    inner join fct_orders
        on
            assigned.customer_id = fct_orders.customer_id
            and fct_orders.ordered_at >= assigned.assigned_at - interval '{{ pre_days }} days'
            and fct_orders.ordered_at < assigned.assigned_at
            and not fct_orders.is_cancelled
    group by 1, 2
),

final as (
    select
        cast(assigned.experiment_id as bigint) as experiment_id,
        cast(assigned.customer_id as bigint) as customer_id,
        cast(assigned.variant as {{ string_type() }}) as variant,
        assigned.variant = 'treatment' as is_treatment,
        assigned.assigned_at,
        assigned.start_date as experiment_start_date,
        assigned.end_date as experiment_end_date,
        cast(coalesce(pre_orders.revenue, 0) as decimal(18, 2)) as pre_period_revenue,
        cast(coalesce(pre_orders.orders, 0) as integer) as pre_period_orders,
        cast(coalesce(pre_sessions.sessions, 0) as integer) as pre_period_sessions,
        cast(coalesce(window_sessions.sessions, 0) as integer) as sessions,
        cast(coalesce(window_sessions.converting_sessions, 0) as integer) as converting_sessions
    from assigned
    left join window_sessions
        on assigned.experiment_id = window_sessions.experiment_id and assigned.customer_id = window_sessions.customer_id
    left join pre_sessions
        on assigned.experiment_id = pre_sessions.experiment_id and assigned.customer_id = pre_sessions.customer_id
    left join pre_orders
        on assigned.experiment_id = pre_orders.experiment_id and assigned.customer_id = pre_orders.customer_id
)

select * from final
