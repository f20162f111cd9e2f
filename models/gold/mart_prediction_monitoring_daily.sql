{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- The prediction API's traffic per day and model version, for BI. Grain: one row per day x endpoint x model x
-- version x role (champion, challenger or shadow) in ml.prediction_log (the service's log, loaded hourly by
-- the job prediction_log; no table before the service first answered): predictions, distinct customers,
-- latency percentiles, mean score. Aggregates only: no customer rows.
with prediction_log as (
    {{ python_output('prediction_log', [
        ['logged_at', 'timestamp'], ['endpoint', 'varchar'], ['customer_id', 'bigint'],
        ['model_name', 'varchar'], ['model_version', 'varchar'], ['role', 'varchar'],
        ['score', 'double precision'], ['latency_ms', 'double precision'],
    ]) }}
),

final as (
    select
        cast(logged_at as date) as prediction_date,
        endpoint,
        model_name,
        model_version,
        role,
        cast(count(*) as bigint) as predictions,
        cast(count(distinct customer_id) as bigint) as customers,
        cast(avg(score) as {{ double_type() }}) as mean_score,
        cast(percentile_cont(0.5) within group (order by latency_ms) as {{ double_type() }}) as latency_ms_p50,
        cast(percentile_cont(0.95) within group (order by latency_ms) as {{ double_type() }}) as latency_ms_p95,
        cast(percentile_cont(0.99) within group (order by latency_ms) as {{ double_type() }}) as latency_ms_p99,
        min(logged_at) as first_at,
        max(logged_at) as last_at
    from prediction_log
    group by 1, 2, 3, 4, 5
)

select * from final
