{{
    config(
        materialized='incremental',
        incremental_strategy='window',
        unique_key=['session_date', 'channel'],
        window_day_column='session_date',
        window_delete_margin_days=3,
        on_schema_change='fail',
    )
}}
-- Sessions per day and channel, for the marts that count sessions over every day
-- (daily_channel_performance, weekly_scorecard): a night recounts the days its sessions run
-- could have changed instead of counting the whole history again.
--
-- Incremental (macros/incremental.sql): int_ga4__sessions rebuilds the sessions that ended from
-- two days before its window's first day on, so this recounts every day from three days before
-- the same first day (newest session_date here minus var lookback_days), and from the first
-- session_date of any session ending in that range (a session that lasted over a day). The rows
-- are those a full refresh gives. The first day is a literal, so the planner reads the days
-- through the session_date index.
{%- if is_incremental() %}
    {%- set window_from = incremental_window_first_day(this, 'session_date') ~ ' - 3' %}
    {#- `offset 0`: the sessions through the session_ended_at index, then their min(); without
        it the planner walks the session_date index from the first day of history #}
    {%- set recount_from = date_literal(
        'select least(' ~ window_from ~ ', min(session_date)) from (select session_date from '
        ~ ref('int_ga4__sessions') ~ ' where session_ended_at >= ' ~ window_from
        ~ ' offset 0) as ending') %}
{%- endif %}

with

sessions as (

    select session_date, channel, is_bot
    from {{ ref('int_ga4__sessions') }}
    {% if is_incremental() %}
    where session_date >= {{ recount_from }}
    {% endif %}

)

select
    session_date,
    channel,
    count(*) filter (where not is_bot) as sessions,
    count(*) filter (where is_bot) as bot_sessions
from sessions
group by session_date, channel
