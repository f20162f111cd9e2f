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

-- customers in the erasure register: PII nulled after versioning, so versions and windows stay the same
final as (
    select
        customer_id,
        {{ unless_erased('first_name') }} as first_name,
        {{ unless_erased('last_name') }} as last_name,
        {{ unless_erased('email') }} as email,
        {{ unless_erased('phone') }} as phone,
        {{ unless_erased('street_address') }} as street_address,
        city,
        postal_code,
        country_code,
        loyalty_tier,
        marketing_opt_in,
        signed_up_at,
        valid_from,
        valid_to,
        version_number,
        _landing_date,
        _last_landed_on,
        valid_to is null as is_current,
        {{ is_erased('customer_id') }} as is_erased
    from versions
)

select * from final
