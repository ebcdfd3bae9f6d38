-- Spend, clicks, sessions and leads per day and channel: the first view both teams share.
with

spend as (

    select
        stat_date as date_day,
        channel,
        sum(cost) as spend,
        sum(clicks) as clicks,
        sum(impressions) as impressions
    from {{ ref('int_google_ads__campaign_daily') }}
    group by 1, 2

),

sessions as (

    select session_date as date_day, channel, sessions
    from {{ ref('int_ga4__sessions_daily') }}
    where sessions > 0

),

leads as (

    select created_date as date_day, channel, count(*) as leads
    from {{ ref('leads') }}
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
    '{{ var("reporting_currency") }}'::text as currency,
    coalesce(spend.spend, 0)::numeric(18, 2) as spend,
    coalesce(spend.clicks, 0)::bigint as clicks,
    coalesce(spend.impressions, 0)::bigint as impressions,
    coalesce(sessions.sessions, 0)::bigint as sessions,
    coalesce(leads.leads, 0)::bigint as leads
from spine
left join spend using (date_day, channel)
left join sessions using (date_day, channel)
left join leads using (date_day, channel)
