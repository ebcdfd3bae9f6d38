-- One row per web session (user_pseudo_id + ga_session_id), its traffic source taken from the
-- first event that carries one, its channel from the documented channel grouping rules, and
-- whether it was a bot.
with

events as (

    select * from {{ ref('stg_ga4__events') }}
    where ga_session_id is not null

),

ordered as (

    select
        *,
        row_number() over (
            partition by user_pseudo_id, ga_session_id order by event_at, source_line
        ) as event_order
    from events

),

sessions as (

    select
        user_pseudo_id,
        ga_session_id,
        min(event_at) as session_started_at,
        (array_agg(event_date order by event_order))[1] as session_date,
        (array_agg(collected_source order by event_order)
            filter (where collected_source is not null or collected_gclid is not null))[1] as source,
        (array_agg(collected_medium order by event_order)
            filter (where collected_source is not null or collected_gclid is not null))[1] as medium,
        (array_agg(collected_campaign order by event_order)
            filter (where collected_source is not null or collected_gclid is not null))[1] as campaign,
        (array_agg(collected_gclid order by event_order)
            filter (where collected_gclid is not null))[1] as gclid,
        (array_agg(page_referrer order by event_order)
            filter (where page_referrer is not null))[1] as referrer,
        count(*) filter (where event_name = 'page_view') as page_views,
        extract(epoch from max(event_at) - min(event_at)) as duration_seconds,
        bool_or(browser ilike '%headless%') as headless_browser,
        bool_or(event_name = 'generate_lead') as has_lead_event
    from ordered
    group by user_pseudo_id, ga_session_id

)

select
    md5(user_pseudo_id || ':' || ga_session_id::text) as session_key,
    user_pseudo_id,
    ga_session_id,
    session_started_at,
    session_date,
    source,
    medium,
    campaign,
    gclid,
    referrer,
    {{ channel_grouping('source', 'medium', 'gclid', 'referrer') }} as channel,
    page_views,
    has_lead_event,
    -- bots: a headless browser, or 15+ page views in under 10 seconds
    coalesce(headless_browser, false) or (page_views >= 15 and duration_seconds < 10) as is_bot
from sessions
