-- Web conversions and web revenue per day and channel, next to the ad spend and sessions of the
-- same day and channel: what a self-serve or e-commerce business reads first. Conversions are
-- the GA4 events the contract lists (web.conversions), on their event_date, in their session's
-- channel, bots left out; revenue is the valued conversions' value (int_ga4__conversions: in its
-- own currency) converted into the reporting currency at the ECB rate of its event_date, as
-- spend is at its spend day (int_fx_rates__daily; a value already in the reporting currency
-- needs no rate). A value whose currency has no rate that day fails the build, naming the
-- currency and the day, as spend without a rate does: it is never counted as 0 nor left out.
-- Spend and clicks are ad_performance_daily's rows (reporting currency), sessions
-- int_ga4__sessions_daily's.
{%- set currency = reporting_currency() %}

with

ad_spend as (

    select * from {{ ref('int_ad_spend__unioned') }}

),

sessions_daily as (

    select * from {{ ref('int_ga4__sessions_daily') }}

),

ga4_conversions as (

    select * from {{ ref('int_ga4__conversions') }}

),

ga4_sessions as (

    select * from {{ ref('int_ga4__sessions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__daily') }}

),

conversion_events as (

    -- each conversion in its session's channel (`other` outside any session), bots left out,
    -- its value in the reporting currency: amount / per_eur(currency) * per_eur(reporting)
    select
        ga4_conversions.event_date,
        ga4_conversions.event_name,
        coalesce(ga4_sessions.channel, 'other') as channel,
        case
            when ga4_conversions.value is null then null
            when ga4_conversions.value_currency = '{{ currency }}' then ga4_conversions.value
            when fx_rates.rate_per_eur is not null
                then ga4_conversions.value / fx_rates.rate_per_eur
                    * fx_rates.reporting_rate_per_eur
            else {{ fail_query(
                "'web_conversions_daily: no ECB rate for ' || ga4_conversions.value_currency"
                ~ " || ' on ' || ga4_conversions.event_date"
                ~ " || ' (GA4 ' || ga4_conversions.event_name || ' of '"
                ~ " || ga4_conversions.value || ' ' || ga4_conversions.value_currency"
                ~ " || ', file line ' || ga4_conversions.source_line || ' of partition '"
                ~ " || ga4_conversions.partition_date"
                ~ " || '): load the ECB rates (source ecb) for that day'") }}
        end as value
    from ga4_conversions
    left join ga4_sessions
        on ga4_sessions.session_key = ga4_conversions.session_key
    left join fx_rates
        on fx_rates.date_day = ga4_conversions.event_date
        and fx_rates.currency_code = ga4_conversions.value_currency
    where not coalesce(ga4_sessions.is_bot, false)

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
    '{{ currency }}'::text as currency,
    spend,
    clicks,
    sessions,
    conversions,
    valued_conversions,
    web_revenue,
    (spend / nullif(conversions, 0))::numeric(18, 2) as cost_per_conversion,
    round(web_revenue / nullif(spend, 0), 4) as return_on_ad_spend
from joined
