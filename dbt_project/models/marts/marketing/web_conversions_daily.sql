-- Web conversions and web revenue per day and channel, next to the ad spend and sessions of the
-- same day and channel: what a self-serve or e-commerce business reads first. Conversions are
-- the GA4 events the contract lists (web.conversions), on their event_date, in their session's
-- channel, bots left out; revenue is the valued conversions' value. Spend and clicks are
-- ad_performance_daily's rows (reporting currency), sessions int_ga4__sessions_daily's.
with

ad_spend as (

    select * from {{ ref('int_ad_spend__unioned') }}

),

sessions_daily as (

    select * from {{ ref('int_ga4__sessions_daily') }}

),

conversion_events as (

    select * from {{ ref('int_ga4__conversions') }}
    where not is_bot

),

spend as (

    select
        spend_date as date_day,
        channel,
        sum(spend_reporting) as spend,
        sum(clicks) as clicks
    from ad_spend
    group by 1, 2

),

sessions as (

    select session_date as date_day, channel, sessions
    from sessions_daily
    where sessions > 0

),

conversions as (

    select
        event_date as date_day,
        channel,
        count(*) as conversions,
        count(*) filter (where event_name in {{ conversion_events(valued_only=true) }})
            as valued_conversions,
        sum(value) as web_revenue
    from conversion_events
    group by 1, 2

),

spine as (

    select date_day, channel from spend
    union
    select date_day, channel from sessions
    union
    select date_day, channel from conversions

),

joined as (

    select
        spine.date_day,
        spine.channel,
        coalesce(spend.spend, 0)::numeric(18, 2) as spend,
        coalesce(spend.clicks, 0)::bigint as clicks,
        coalesce(sessions.sessions, 0)::bigint as sessions,
        coalesce(conversions.conversions, 0)::bigint as conversions,
        coalesce(conversions.valued_conversions, 0)::bigint as valued_conversions,
        coalesce(conversions.web_revenue, 0)::numeric(18, 2) as web_revenue
    from spine
    left join spend using (date_day, channel)
    left join sessions using (date_day, channel)
    left join conversions using (date_day, channel)

)

select
    date_day,
    channel,
    '{{ reporting_currency() }}'::text as currency,
    spend,
    clicks,
    sessions,
    conversions,
    valued_conversions,
    web_revenue,
    (spend / nullif(conversions, 0))::numeric(18, 2) as cost_per_conversion,
    round(web_revenue / nullif(spend, 0), 4) as return_on_ad_spend
from joined
