-- Spend, clicks, sessions and leads per day and channel: the first view both teams share.
-- Spend, clicks and impressions of every ad platform, converted to the reporting currency (the
-- rows ad_performance_daily reports), sessions from GA4, and leads as the people dim_people
-- counts, on the day of their inquiry and in the channel that sourced them (first touch).
with

ad_spend as (

    select * from {{ ref('int_ad_spend__unioned') }}

),

sessions_daily as (

    select * from {{ ref('int_ga4__sessions_daily') }}

),

people as (

    select * from {{ ref('dim_people') }}

),

spend as (

    select
        spend_date as date_day,
        channel,
        sum(spend_reporting) as spend,
        sum(clicks) as clicks,
        sum(impressions) as impressions
    from ad_spend
    group by 1, 2

),

sessions as (

    select session_date as date_day, channel, sessions
    from sessions_daily
    where sessions > 0

),

leads as (

    select
        (inquiry_at at time zone 'UTC')::date as date_day,
        first_touch_channel as channel,
        count(*) as leads
    from people
    group by 1, 2

),

spine as (

    select date_day, channel from spend
    union
    select date_day, channel from sessions
    union
    select date_day, channel from leads

)

select
    spine.date_day,
    spine.channel,
    '{{ reporting_currency() }}'::text as currency,
    coalesce(spend.spend, 0)::numeric(18, 2) as spend,
    coalesce(spend.clicks, 0)::bigint as clicks,
    coalesce(spend.impressions, 0)::bigint as impressions,
    coalesce(sessions.sessions, 0)::bigint as sessions,
    coalesce(leads.leads, 0)::bigint as leads,
    -- the day's week (Monday to Sunday) lies wholly inside the data window: weekly charts show
    -- complete weeks by default, not the current, partial week as if it were a full one
    {{ days_in_week("date_trunc('week', spine.date_day)::date", 'data_window') }} = 7
        as is_complete_week
from spine
cross join {{ ref('int_data_window') }} as data_window
left join spend using (date_day, channel)
left join sessions using (date_day, channel)
left join leads using (date_day, channel)
