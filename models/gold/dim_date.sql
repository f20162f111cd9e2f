{{ config(contract={'enforced': true}) }}
-- One row per day from the first order or web session to the last landing day.
with orders as (
    select * from {{ ref('orders') }}
),

web_events as (
    select * from {{ ref('web_events') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

date_range as (
    select
        least(
            (select min(cast(ordered_at as date)) from orders),
            (select min(cast(occurred_at as date)) from web_events)
        ) as first_day,
        greatest(
            (select max(_last_landed_on) from orders),
            (select max(_last_landed_on) from web_events)
        ) as last_day
),

days as (
    {{ date_spine('(select first_day from date_range)', '(select last_day from date_range)') }}
),

holiday_days as (
    select
        cast(holiday_date as date) as holiday_date,
        count(distinct country_code) as holiday_country_count
    from holidays
    group by 1
),

final as (
    select
        days.date_day,
        cast(extract(year from days.date_day) as integer) as year_number,
        cast(extract(quarter from days.date_day) as integer) as quarter_number,
        cast(extract(month from days.date_day) as integer) as month_number,
        cast(extract(day from days.date_day) as integer) as day_of_month,
        cast({{ iso_day_of_week("days.date_day") }} as integer) as day_of_week,
        cast(case cast({{ iso_day_of_week("days.date_day") }} as integer)
            when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday' when 4 then 'Thursday'
            when 5 then 'Friday' when 6 then 'Saturday' else 'Sunday'
        end as {{ string_type() }}) as day_name,
        cast({{ iso_day_of_week("days.date_day") }} in (6, 7) as boolean) as is_weekend,
        holiday_days.holiday_date is not null as is_holiday,
        cast(coalesce(holiday_days.holiday_country_count, 0) as integer) as holiday_country_count
    from days
    left join holiday_days
        on days.date_day = holiday_days.holiday_date
)

select * from final
