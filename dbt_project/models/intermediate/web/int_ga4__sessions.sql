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
-- One row per web session (user_pseudo_id + ga_session_id), its traffic source, its channel from
-- the documented channel grouping rules, and whether it was a bot. The source, medium and
-- campaign come from the first event carrying one of, in order of preference:
-- session_traffic_source_last_click (exports from 2024), collected_traffic_source (from mid-2023),
-- and for older exports the events' source/medium/campaign parameters or the UTMs of
-- page_location. A gclid (collected, parameter or URL) makes the session paid search, a dclid
-- display. The company's own domains (contract: web.own_domains) are never a referrer or a
-- source: internal navigation and self-referrals do not make a session a referral.
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

traffic as (

    -- each event's traffic source in the three shapes the export has had, a source naming one
    -- of the company's own domains (a self-referral) taken as none
    select
        *,
        case when not {{ is_own_domain('last_click_source') }}
            and coalesce(last_click_source, '(direct)') <> '(direct)' then true end
            as has_last_click,
        case when not {{ is_own_domain('collected_source') }}
            and (collected_source is not null or collected_gclid is not null) then true end
            as has_collected,
        case when param_source is not null or param_medium is not null
            then param_source else url_source end as legacy_source,
        case when param_source is not null or param_medium is not null
            then param_medium else url_medium end as legacy_medium,
        case when param_source is not null or param_medium is not null
            then param_campaign else url_campaign end as legacy_campaign,
        coalesce(collected_gclid, param_gclid, url_gclid) as any_gclid,
        coalesce(collected_dclid, param_dclid, url_dclid) as any_dclid,
        case when not {{ is_own_domain('page_referrer') }} then page_referrer end
            as external_referrer
    from (
        select
            *,
            {{ url_param('page_location', 'utm_source') }} as url_source,
            {{ url_param('page_location', 'utm_medium') }} as url_medium,
            {{ url_param('page_location', 'utm_campaign') }} as url_campaign,
            {{ url_param('page_location', 'gclid') }} as url_gclid,
            {{ url_param('page_location', 'dclid') }} as url_dclid
        from events
    ) as with_url

),

ordered as (

    select
        *,
        case when (legacy_source is not null or legacy_medium is not null)
            and not {{ is_own_domain('legacy_source') }} then true end as has_legacy,
        row_number() over (
            partition by user_pseudo_id, ga_session_id
            order by event_at, partition_date, source_line
        ) as event_order
    from traffic

),

sessions as (

    select
        user_pseudo_id,
        ga_session_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        (array_agg(event_date order by event_order))[1] as session_date,
        -- the session's source, medium and campaign, in order of preference: GA4's own
        -- session_traffic_source_last_click (2024+), collected_traffic_source (2023+), then the
        -- events' source/medium/campaign parameters or the page URL's UTMs (every vintage)
        (array_agg(last_click_source order by event_order) filter (where has_last_click))[1]
            as last_click_source,
        (array_agg(last_click_medium order by event_order) filter (where has_last_click))[1]
            as last_click_medium,
        (array_agg(last_click_campaign order by event_order) filter (where has_last_click))[1]
            as last_click_campaign,
        (array_agg(collected_source order by event_order) filter (where has_collected))[1]
            as collected_source,
        (array_agg(collected_medium order by event_order) filter (where has_collected))[1]
            as collected_medium,
        (array_agg(collected_campaign order by event_order) filter (where has_collected))[1]
            as collected_campaign,
        (array_agg(legacy_source order by event_order) filter (where has_legacy))[1]
            as legacy_source,
        (array_agg(legacy_medium order by event_order) filter (where has_legacy))[1]
            as legacy_medium,
        (array_agg(legacy_campaign order by event_order) filter (where has_legacy))[1]
            as legacy_campaign,
        (array_agg(any_gclid order by event_order)
            filter (where any_gclid is not null))[1] as gclid,
        (array_agg(any_dclid order by event_order)
            filter (where any_dclid is not null))[1] as dclid,
        (array_agg(external_referrer order by event_order)
            filter (where external_referrer is not null))[1] as referrer,
        count(*) filter (where event_name = 'page_view') as page_views,
        extract(epoch from max(event_at) - min(event_at)) as duration_seconds,
        bool_or(browser ilike '%headless%') as headless_browser,
        bool_or(event_name = 'generate_lead') as has_lead_event
    from ordered
    group by user_pseudo_id, ga_session_id

),

vintaged as (

    -- which shape the session's source comes from, in order of preference: GA4's own last
    -- click (2024+), collected_traffic_source (2023+), else the parameters and UTMs
    select
        *,
        case
            when last_click_source is not null or last_click_medium is not null
                then 'last_click'
            when collected_source is not null or collected_medium is not null
                then 'collected'
            else 'legacy'
        end as traffic_vintage
    from sessions

),

attributed as (

    select
        *,
        case traffic_vintage
            when 'last_click' then last_click_source
            when 'collected' then collected_source
            else legacy_source
        end as source,
        case traffic_vintage
            when 'last_click' then last_click_medium
            when 'collected' then collected_medium
            else legacy_medium
        end as medium,
        case traffic_vintage
            when 'last_click' then last_click_campaign
            when 'collected' then collected_campaign
            else legacy_campaign
        end as campaign
    from vintaged

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
    {{ channel_grouping('source', 'medium', 'gclid', 'referrer', 'dclid') }} as channel,
    page_views,
    has_lead_event,
    -- bots: a headless browser, or 15+ page views in under 10 seconds
    coalesce(headless_browser, false) or (page_views >= 15 and duration_seconds < 10) as is_bot
from attributed
