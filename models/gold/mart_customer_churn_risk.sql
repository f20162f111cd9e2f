{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- Churn risk for analysts. Grain: one row per current customer the champion churn model scored (ml.churn_
-- predictions, written by batch scoring after the warehouse build; empty until a champion exists). The
-- probability is calibrated: the share of a band's customers expected to place no order in the next 60
-- days. No PII.
{%- set written = adapter.get_relation(database=target.database, schema='ml', identifier='churn_predictions') -%}
-- A build without batch scoring (plain `dbt build`, before the first Dagster run) finds no table yet: no rows.
with churn_predictions as (
    {%- if execute and written is none %}
        select
            cast(null as bigint) as customer_id,
            cast(null as date) as as_of_date,
            cast(null as {{ double_type() }}) as churn_probability,
            cast(null as {{ string_type() }}) as model_name,
            cast(null as {{ string_type() }}) as model_version,
            cast(null as timestamp) as scored_at
        where 1 = 0
    {%- else %}
    select * from {{ source('python_outputs', 'churn_predictions') }}
    {%- endif %}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

final as (
    select
        cast(churn_predictions.customer_id as bigint) as customer_id,
        cast(churn_predictions.as_of_date as date) as as_of_date,
        cast(dim_customers.country_code as {{ string_type() }}) as country_code,
        cast(dim_customers.loyalty_tier as {{ string_type() }}) as loyalty_tier,
        cast(churn_predictions.churn_probability as decimal(9, 6)) as churn_probability,
        cast(case
            when churn_predictions.churn_probability >= 0.7 then 'high'
            when churn_predictions.churn_probability >= 0.4 then 'medium'
            else 'low'
        end as {{ string_type() }}) as risk_band,
        cast(churn_predictions.model_name as {{ string_type() }}) as model_name,
        cast(churn_predictions.model_version as {{ string_type() }}) as model_version,
        cast(churn_predictions.scored_at as timestamp) as scored_at
    from churn_predictions
    inner join dim_customers
        on churn_predictions.customer_id = dim_customers.customer_id and dim_customers.is_current
    where not {{ is_erased('churn_predictions.customer_id') }}
)

select * from final
