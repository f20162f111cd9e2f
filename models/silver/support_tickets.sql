-- One row per support ticket, latest state.
-- A ticket whose customer is not in customers (while a customers file is rejected) waits in
-- held_support_tickets.
with stg_support_tickets as (
    select * from {{ ref('stg_shop__support_tickets') }}
),

conformed as (
    select
        ticket_id,
        customer_id,
        order_id,
        lower(trim(topic)) as topic,
        opened_at,
        resolved_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_support_tickets
),

ranked as (
    select
        *,
        row_number() over (
            partition by ticket_id order by updated_at desc, _landing_date desc, _source_file desc
        ) as row_rank,
        max(_landing_date) over (partition by ticket_id) as _last_landed_on
    from conformed
),

final as (
    select
        ticket_id,
        customer_id,
        order_id,
        topic,
        opened_at,
        resolved_at,
        updated_at,
        _last_landed_on
    from ranked
    where
        row_rank = 1
        and {{ parents_present('support_tickets') }}
)

select * from final
