{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- What BI reads about experiments and campaigns: one row per analysis (an experiment or a campaign) and
-- estimator, from the estimates the Python asset ml/causal_estimates wrote (rule and estimands:
-- docs/causal.md). The primary estimator of each analysis (CUPED for experiments, AIPW for campaigns) is
-- flagged; the others are there to compare (the naive difference shows what ignoring targeting gives).
with causal_estimates as (
    select * from {{ source('python_outputs', 'causal_estimates') }}
),

final as (
    select
        cast(analysis_type as {{ string_type() }}) as analysis_type,
        cast(analysis_id as bigint) as analysis_id,
        cast(estimator as {{ string_type() }}) as estimator,
        is_primary,
        cast(estimand as {{ string_type() }}) as estimand,
        cast(effect as {{ double_type() }}) as effect,
        cast(std_error as {{ double_type() }}) as std_error,
        cast(ci_lower as {{ double_type() }}) as ci_lower,
        cast(ci_upper as {{ double_type() }}) as ci_upper,
        cast(p_value as {{ double_type() }}) as p_value,
        cast(n_units as bigint) as n,
        cast(n_treated as bigint) as n_treated,
        cast(n_control as bigint) as n_control,
        diagnostics_passed,
        cast(decision as {{ string_type() }}) as decision,
        cast(decision_reason as {{ string_type() }}) as decision_reason,
        cast(mlflow_run_id as {{ string_type() }}) as mlflow_run_id,
        cast(estimated_at as timestamp) as estimated_at
    from causal_estimates
)

select * from final
