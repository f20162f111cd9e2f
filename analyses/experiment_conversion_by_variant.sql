-- A/B experiment readout: session conversion per variant, session-weighted, over the sessions the metric
-- counts (started at or after the customer's assignment, on a day of the experiment's window: var
-- `experiments`), as _truth/experiment.json defines it. A naive difference in means without standard errors:
-- the estimates with confidence intervals and a decision are in gold.mart_experiment_results.
with experiment_customers as (
    select * from {{ ref('mart_experiment_customers') }}
),

final as (
    select
        experiment_id,
        variant,
        count(*) as customers,
        sum(sessions) as sessions,
        sum(converting_sessions) as converted_sessions,
        1.0 * sum(converting_sessions) / nullif(sum(sessions), 0) as conversion_rate
    from experiment_customers
    group by experiment_id, variant
)

select * from final
