{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- Input drift for BI. Grain: one row per landing day x monitored column x window (ml.drift_reports, written by
-- the asset ml/drift_reports of every landing day's run; ml/drift.py): the test statistic and p-value against
-- the significance level, the effect against its threshold, and whether the two together raised an alarm.
with drift_reports as (
    {{ python_output('drift_reports', [
        ['report_date', 'date'], ['column_name', 'varchar'], ['window_days', 'integer'],
        ['statistic', 'varchar'], ['statistic_value', 'double precision'], ['p_value', 'double precision'],
        ['alpha', 'double precision'], ['effect_name', 'varchar'], ['effect', 'double precision'],
        ['threshold', 'double precision'], ['alarm', 'boolean'], ['current_count', 'bigint'],
        ['reference_count', 'bigint'],
    ]) }}
),

final as (
    select * from drift_reports
)

select * from final
