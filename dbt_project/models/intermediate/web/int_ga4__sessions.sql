{{
    config(
        materialized='incremental',
        incremental_strategy='window',
        unique_key='session_key',
        window_day_column='session_date',
        window_delete_column='session_ended_at',
        window_delete_margin_days=2,
        on_schema_change='fail',
        indexes=[
            {'columns': ['user_pseudo_id']},
            {'columns': ['session_date']},
            {'columns': ['session_ended_at']},
        ],
    )
}}
-- One row per web session (user_pseudo_id + ga_session_id), its traffic source taken from the
-- first event that carries one, its channel from the documented channel grouping rules, and
-- whether it was a bot.
--
-- Incremental (macros/incremental.sql): a run rebuilds every session with an event in the
-- window's day partitions (new days, and the lookback days a later pull may have restated or
-- completed with late events) from all of its events, including those before the window (a
-- session that crossed midnight), and every session the table holds that ended in the window
-- or the two days before it (the margin covers any time zone between the property's days and
-- the server's), so a session whose events a later pull dropped is rebuilt from the rest or
-- deleted. Each session is computed from all of its events either way: the table is what a full
-- refresh gives. The window's first day is a literal (incremental_window_first_day), so that the
-- planner reads the window through the indexes, whatever the history.
{%- if is_incremental() %}
    {%- set first_day = incremental_window_first_day(this, 'session_date') %}
{%- endif %}
with

{% if is_incremental() %}

touched as (

    select
        md5(user_pseudo_id || ':' || ga_session_id::text) as session_key,
        user_pseudo_id,
        ga_session_id
    from {{ ref('stg_ga4__events') }}
    where ga_session_id is not null
        and partition_date >= {{ first_day }}
    union
    select session_key, user_pseudo_id, ga_session_id
    from {{ this }}
    where session_ended_at >= {{ first_day }} - 2

),

first_partition as (

    -- where the touched sessions' events start: a known session's at its first event (two
    -- days' margin between UTC and the property's days), a new session's in the window
    select least(
        {{ first_day }},
        (
            select min(session_started_at)::date - 2
            from {{ this }}
            where session_key in (select session_key from touched)
        )
    ) as first_day

),

events as (

    select events.*
    from {{ ref('stg_ga4__events') }} as events
    inner join touched
        on events.user_pseudo_id = touched.user_pseudo_id
        and events.ga_session_id = touched.ga_session_id
    where events.partition_date >= (select first_day from first_partition)

),

{% else %}

events as (

    select * from {{ ref('stg_ga4__events') }}
    where ga_session_id is not null

),

{% endif %}

ordered as (

    select
        *,
        row_number() over (
            partition by user_pseudo_id, ga_session_id
            order by event_at, partition_date, source_line
        ) as event_order
    from events

),

sessions as (

    select
        user_pseudo_id,
        ga_session_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
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
    session_ended_at,
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
