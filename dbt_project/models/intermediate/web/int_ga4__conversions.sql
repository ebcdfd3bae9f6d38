-- The GA4 events the contract counts as conversions (var lead_definition: web.conversions),
-- each with its session's channel and bot flag, and the revenue of those that carry a value.
with

events as (

    select * from {{ ref('stg_ga4__events') }}
    where event_name in {{ conversion_events() }}

),

sessions as (

    select * from {{ ref('int_ga4__sessions') }}

)

select
    events.event_date,
    events.event_at,
    events.event_name,
    sessions.session_key,
    coalesce(sessions.channel, 'other') as channel,
    coalesce(sessions.is_bot, false) as is_bot,
    case when events.event_name in {{ conversion_events(valued_only=true) }}
        then coalesce(events.purchase_revenue, events.event_value_in_usd, events.value_param)
    end as value
from events
left join sessions
    on sessions.user_pseudo_id = events.user_pseudo_id
    and sessions.ga_session_id = events.ga_session_id
