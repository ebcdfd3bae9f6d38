-- The days the warehouse has data for, in one row: the first and the newest day (UTC) with ad
-- spend, web sessions or a CRM record. The newest day is the data end: the week containing it
-- is the current, partial week of the weekly marts (weekly_scorecard, funnel_conversion_weekly),
-- which label it and never compare it with a full week. `days_in_week(week_start)` (macros/
-- calendar.sql) counts a week's days inside this window.

with

days as (

    select min(spend_date) as first_day, max(spend_date) as last_day
    from {{ ref('int_ad_spend__daily_stats') }}
    union all
    select min(session_date), max(session_date)
    from {{ ref('int_ga4__sessions_daily') }}
    union all
    select
        min((created_at at time zone 'UTC')::date),
        max((created_at at time zone 'UTC')::date)
    from {{ ref('int_people__records') }}

)

select
    min(first_day) as data_start,
    max(last_day) as data_end
from days
having max(last_day) is not null
