{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- Model versions for BI: champion against challenger. Grain: one row per registered version of the churn and
-- recommender models (ml.model_versions: the MLflow registry as batch scoring last read it), with the alias
-- it holds, the approval step's decision and the metrics the step compares. Every version is one training.
with model_versions as (
    {{ python_output('model_versions', [
        ['model_name', 'varchar'], ['model_version', 'varchar'], ['registered_at', 'timestamp'],
        ['alias', 'varchar'], ['approval_status', 'varchar'], ['approval_reason', 'varchar'],
        ['approval_by', 'varchar'], ['replaced_by', 'varchar'], ['roc_auc', 'double precision'],
        ['calibration_error', 'double precision'], ['recall_at_k', 'double precision'],
        ['recall_lift_over_popularity', 'double precision'],
    ]) }}
),

final as (
    select
        model_name,
        model_version,
        cast(model_version as integer) as version_number,
        registered_at,
        cast(registered_at as date) as registered_on,
        alias,
        -- batch scoring writes through CSV: a missing tag arrives as an empty string on some engines
        nullif(approval_status, '') as approval_status,
        nullif(approval_reason, '') as approval_reason,
        nullif(approval_by, '') as approval_by,
        nullif(replaced_by, '') as replaced_by,
        roc_auc,
        calibration_error,
        recall_at_k,
        recall_lift_over_popularity
    from model_versions
)

select * from final
