-- Every distinct version of every customer, with its validity window, from the change feed.
-- Windows come from updated_at, not from load time, so late-arriving changes slot in exactly.
with stg_customers as (
    select * from {{ ref('stg_shop__customers') }}
),

conformed as (
    select
        customer_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        lower(trim(email)) as email,
        nullif(trim(phone), '') as phone,
        trim(street_address) as street_address,
        trim(city) as city,
        trim(postal_code) as postal_code,
        upper(trim(country_code)) as country_code,
        lower(trim(loyalty_tier)) as loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        updated_at,
        _landing_date,
        _source_file
    from stg_customers
),

{{ change_feed_versions_ctes('customer_id', [
    'first_name', 'last_name', 'email', 'phone', 'street_address', 'city', 'postal_code',
    'country_code', 'loyalty_tier', 'marketing_opt_in', 'signed_up_at',
]) }},

final as (
    select
        *,
        valid_to is null as is_current
    from versions
)

select * from final
