{{ config(tags=['python_inputs'], contract={'enforced': true}) }}
-- One row per (Dagster run, layer) whose Great Expectations gate ran: checks passed and failed by severity.
-- quality.gate_results exists once a gate has run; a build without the gates (a plain `dbt build`) has none,
-- and then this mart is empty. It builds after mart_daily_revenue (whose gold gate checks block what is
-- downstream), so a run's own gold gate is in it.
-- depends_on: {{ ref('mart_daily_revenue') }}
{%- set gate_results = source('quality_gates', 'gate_results') %}
{%- set exists = execute and adapter.get_relation(
    database=gate_results.database, schema=gate_results.schema, identifier=gate_results.identifier
) is not none %}
with gate_results as (
    {%- if exists %}
        select
            run_id,
            layer,
            severity,
            success,
            validated_at
        from {{ gate_results }}
    {%- else %}
        select
            cast(null as {{ string_type() }}) as run_id,
            cast(null as {{ string_type() }}) as layer,
            cast(null as {{ string_type() }}) as severity,
            cast(null as boolean) as success,
            cast(null as timestamp) as validated_at
        where false
    {%- endif %}
),

final as (
    select
        cast(run_id as {{ string_type() }}) as run_id,
        cast(layer as {{ string_type() }}) as layer,
        cast(min(validated_at) as date) as validated_on,
        cast(min(validated_at) as timestamp) as validated_at,
        cast(count(*) as bigint) as outcomes,
        cast(sum(case when success then 1 else 0 end) as bigint) as passed,
        cast(sum(case when not success and severity = 'error' then 1 else 0 end) as bigint) as failed_errors,
        cast(sum(case when not success and severity <> 'error' then 1 else 0 end) as bigint) as failed_warnings
    from gate_results
    group by 1, 2
)

select * from final
