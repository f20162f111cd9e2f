{{ config(materialized='view') }}
-- The erasure register as the models read it: a view, so a purge registered a moment ago counts in the next
-- build of any model (the register lives outside dbt's rebuilds: macro create_erasure_register).
with erasure_requests as (
    select * from {{ source('governance', 'erasure_requests') }}
),

final as (
    select
        customer_id,
        requested_at
    from erasure_requests
)

select * from final
