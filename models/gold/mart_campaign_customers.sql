{{ config(contract={'enforced': true}) }}
{%- set pre_days = var('causal_pre_period_days') %}
-- One row per evaluated campaign (var `causal_campaign_ids`) x eligible customer (opted in to marketing,
-- signed up before starts_on, churned or not: churn is not observable), contacted or not: the covariates
-- the targeting could see, computed as the landing contract defines them (spend_before_start: quantity x
-- unit_price over every order placed before starts_on, any status; tenure_days: days from the sign-up date
-- to starts_on), other pre-period covariates, and the sessions on starts_on..ends_on with their conversions.
with campaigns as (
    select * from {{ ref('campaigns') }}
),

campaign_contacts as (
    select * from {{ ref('campaign_contacts') }}
),

customers as (
    select * from {{ ref('customers') }}
),

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

fct_orders as (
    select * from {{ ref('fct_orders') }}
),

evaluated as (
    select
        campaign_id,
        starts_on,
        ends_on
    from campaigns
    where campaign_id in ({{ var('causal_campaign_ids') | join(', ') }})
),

eligible as (
    select
        evaluated.campaign_id,
        evaluated.starts_on,
        evaluated.ends_on,
        customers.customer_id,
        {{ days_between('customers.signed_up_at', 'evaluated.starts_on') }} as tenure_days
    from evaluated
    inner join customers
        on
            customers.marketing_opt_in
            and customers.signed_up_at < evaluated.starts_on
),

contacts as (
    select
        campaign_id,
        customer_id,
        min(contacted_at) as first_contacted_at
    from campaign_contacts
    group by 1, 2
),

spend as (
    select
        eligible.campaign_id,
        eligible.customer_id,
        sum(fct_orders.gross_amount) as spend_before_start,
        sum(
            case
                when
                    fct_orders.ordered_at >= eligible.starts_on - interval '{{ pre_days }} days'
                    and not fct_orders.is_cancelled
                    then 1
                else 0
            end
        ) as pre_period_orders,
        sum(
            case
                when
                    fct_orders.ordered_at >= eligible.starts_on - interval '{{ pre_days }} days'
                    and not fct_orders.is_cancelled
                    then fct_orders.net_amount
                else 0
            end
        ) as pre_period_revenue
    from eligible
    inner join fct_orders
        on
            eligible.customer_id = fct_orders.customer_id
            and fct_orders.ordered_at < eligible.starts_on
    group by 1, 2
),

sessions as (
    select
        eligible.campaign_id,
        eligible.customer_id,
        sum(case when fct_sessions.session_date >= eligible.starts_on then 1 else 0 end) as sessions,
        sum(
            case when fct_sessions.session_date >= eligible.starts_on and fct_sessions.has_purchase then 1 else 0 end
        ) as converting_sessions,
        sum(case when fct_sessions.session_date < eligible.starts_on then 1 else 0 end) as pre_period_sessions
    from eligible
    inner join fct_sessions
        on
            eligible.customer_id = fct_sessions.customer_id
            and fct_sessions.session_date between eligible.starts_on - {{ pre_days }} and eligible.ends_on
    group by 1, 2
),

final as (
    select
        cast(eligible.campaign_id as bigint) as campaign_id,
        cast(eligible.customer_id as bigint) as customer_id,
        contacts.customer_id is not null as contacted,
        contacts.first_contacted_at,
        eligible.starts_on as campaign_starts_on,
        eligible.ends_on as campaign_ends_on,
        cast(coalesce(spend.spend_before_start, 0) as decimal(18, 2)) as spend_before_start,
        cast(eligible.tenure_days as integer) as tenure_days,
        cast(coalesce(spend.pre_period_revenue, 0) as decimal(18, 2)) as pre_period_revenue,
        cast(coalesce(spend.pre_period_orders, 0) as integer) as pre_period_orders,
        cast(coalesce(sessions.pre_period_sessions, 0) as integer) as pre_period_sessions,
        cast(coalesce(sessions.sessions, 0) as integer) as sessions,
        cast(coalesce(sessions.converting_sessions, 0) as integer) as converting_sessions
    from eligible
    left join contacts
        on eligible.campaign_id = contacts.campaign_id and eligible.customer_id = contacts.customer_id
    left join spend
        on eligible.campaign_id = spend.campaign_id and eligible.customer_id = spend.customer_id
    left join sessions
        on eligible.campaign_id = sessions.campaign_id and eligible.customer_id = sessions.customer_id
)

select * from final
