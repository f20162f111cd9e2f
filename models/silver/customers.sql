-- Current state of each customer: the latest version of its change feed.
with customer_history as (
    select * from {{ ref('int_customers__history') }}
),

final as (
    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        street_address,
        city,
        postal_code,
        country_code,
        loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        valid_from as updated_at,
        version_number as version_count,
        is_erased,
        _last_landed_on
    from customer_history
    where is_current
)

select * from final
