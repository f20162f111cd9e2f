{#-
  Feature-mart CTE body: per (customer_id, as_of_date) of cte `customer_days`, the count of `relation` rows of
  that customer whose `timestamp_column` lies in [as_of_date - days_before, as_of_date) (days_before none:
  no lower bound) or, with days_after, in [as_of_date, as_of_date + days_after). Output column `name`.
-#}
{% macro count_in_window(relation, timestamp_column, name, days_before=none, days_after=none) -%}
    select
        customer_days.customer_id,
        customer_days.as_of_date,
        count(*) as {{ name }}
    from customer_days
    inner join {{ relation }}
        on
            customer_days.customer_id = {{ relation }}.customer_id
            {%- if days_after is none %}
            and {{ relation }}.{{ timestamp_column }} < customer_days.as_of_date
            {%- if days_before is not none %}
            and {{ relation }}.{{ timestamp_column }} >= customer_days.as_of_date - {{ days_before }}
            {%- endif %}
            {%- else %}
            and {{ relation }}.{{ timestamp_column }} >= customer_days.as_of_date
            and {{ relation }}.{{ timestamp_column }} < customer_days.as_of_date + {{ days_after }}
            {%- endif %}
    group by 1, 2
{%- endmacro %}

{#- `left join` each feature CTE to customer_days on (customer_id, as_of_date). -#}
{% macro left_join_features(ctes) -%}
    {%- for cte in ctes %}
    left join {{ cte }}
        on customer_days.customer_id = {{ cte }}.customer_id and customer_days.as_of_date = {{ cte }}.as_of_date
    {%- endfor %}
{%- endmacro %}

{#-
  The churn features, defined once for the training mart (ml.fm_customer_churn_features, monthly as-of dates)
  and the scoring view (ml.fv_customer_churn_current, the day after the newest landing day), so the two cannot
  drift apart. Emits the CTEs customer_days (each customer version valid at an as-of date of CTE
  `as_of_dates`, erased customers left out) ... churn_features (one row per customer_id, as_of_date). Needs
  import CTEs dim_customers, fct_orders, fct_sessions, returns, support_tickets. Point in time: every feature
  reads only rows stamped strictly before as_of_date. The column list is ml/features.py CHURN_FEATURES.
-#}
{% macro churn_feature_ctes(as_of_dates) -%}
    customer_days as (
        select
            dim_customers.customer_id,
            {{ as_of_dates }}.as_of_date,
            dim_customers.signed_up_at,
            dim_customers.loyalty_tier
        from {{ as_of_dates }}
        inner join dim_customers
            on
                dim_customers.valid_from < {{ as_of_dates }}.as_of_date
                and (dim_customers.valid_to >= {{ as_of_dates }}.as_of_date or dim_customers.valid_to is null)
        where not {{ is_erased('dim_customers.customer_id') }}
    ),

    order_features as (
        select
            customer_days.customer_id,
            customer_days.as_of_date,
            max(fct_orders.order_date) as last_order_date,
            sum(case when fct_orders.order_date >= customer_days.as_of_date - 30 then 1 else 0 end)
                as orders_last_30d,
            sum(case when fct_orders.order_date >= customer_days.as_of_date - 90 then 1 else 0 end)
                as orders_last_90d,
            sum(case when fct_orders.order_date >= customer_days.as_of_date - 30 then fct_orders.net_amount else 0 end)
                as revenue_last_30d,
            sum(case when fct_orders.order_date >= customer_days.as_of_date - 90 then fct_orders.net_amount else 0 end)
                as revenue_last_90d
        from customer_days
        inner join fct_orders
            on
                customer_days.customer_id = fct_orders.customer_id
                and fct_orders.ordered_at < customer_days.as_of_date
        group by 1, 2
    ),

    return_features as (
        select
            customer_days.customer_id,
            customer_days.as_of_date,
            count(*) as returns_count
        from customer_days
        inner join fct_orders
            on customer_days.customer_id = fct_orders.customer_id
        inner join returns
            on
                fct_orders.order_id = returns.order_id
                and returns.requested_at < customer_days.as_of_date
        group by 1, 2
    ),

    ticket_features as (
        {{ count_in_window('support_tickets', 'opened_at', 'support_tickets_last_90d', days_before=90) }}
    ),

    session_features as (
        select
            customer_days.customer_id,
            customer_days.as_of_date,
            max(fct_sessions.session_started_at) as last_session_at,
            sum(case when fct_sessions.session_started_at >= customer_days.as_of_date - 30 then 1 else 0 end)
                as sessions_last_30d,
            sum(case when fct_sessions.session_started_at >= customer_days.as_of_date - 90 then 1 else 0 end)
                as sessions_last_90d
        from customer_days
        inner join fct_sessions
            on
                customer_days.customer_id = fct_sessions.customer_id
                and fct_sessions.session_started_at < customer_days.as_of_date
        group by 1, 2
    ),

    churn_features as (
        select
            customer_days.customer_id,
            customer_days.as_of_date,
            cast(
                {{ days_between('order_features.last_order_date', 'customer_days.as_of_date') }} as integer
            ) as days_since_last_order,
            cast(coalesce(order_features.orders_last_30d, 0) as integer) as orders_last_30d,
            cast(coalesce(order_features.orders_last_90d, 0) as integer) as orders_last_90d,
            cast(coalesce(order_features.revenue_last_30d, 0) as decimal(18, 2)) as revenue_last_30d,
            cast(coalesce(order_features.revenue_last_90d, 0) as decimal(18, 2)) as revenue_last_90d,
            cast(coalesce(return_features.returns_count, 0) as integer) as returns_count,
            cast(coalesce(ticket_features.support_tickets_last_90d, 0) as integer) as support_tickets_last_90d,
            cast(coalesce(session_features.sessions_last_30d, 0) as integer) as sessions_last_30d,
            cast(coalesce(session_features.sessions_last_90d, 0) as integer) as sessions_last_90d,
            cast(
                {{ days_between('session_features.last_session_at', 'customer_days.as_of_date') }} as integer
            ) as days_since_last_session,
            cast({{ days_between('customer_days.signed_up_at', 'customer_days.as_of_date') }} as integer)
                as tenure_days,
            customer_days.loyalty_tier
        from customer_days
        {{ left_join_features(['order_features', 'return_features', 'ticket_features', 'session_features']) }}
    )
{%- endmacro %}
