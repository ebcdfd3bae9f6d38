{{
    config(
        materialized='incremental',
        incremental_strategy='replace_keys',
        unique_key='person_id',
        replace_keys_insert_where='touch_id is not null',
        on_schema_change='fail',
    )
}}
-- Every marketing touch of every person, in order: each human web session of the visitors they
-- are (stitched by int_people__visitors), and, for people sales created without a web touch,
-- the lead source itself (outbound, event, partner, referral) at the moment they were created.
--
-- Incremental (macros/incremental.sql, the replace_keys strategy): a run recomputes all the
-- touches of each person whose touches may have changed, and only theirs:
--   - people whose inputs changed: their stitched visitors, inquiry time or sales channel
--     (inputs_md5, kept on each touch; new people and people with no touch are recomputed too);
--   - people with a session in the window (the newest web touch's day minus lookback_days, with
--     three days' margin for sessions that crossed midnight and the time zones): a new session,
--     or one the sessions model rebuilt from late events;
--   - people with a touch in that window (a session a later pull dropped);
--   - people the table holds who no longer count (excluded, merged away).
-- A recomputed person with no touch left gets an empty row (no touch_id), which deletes their
-- touches and is not inserted. The table is what a full refresh gives; its cost follows the
-- people and the window, not the web history.
{%- if is_incremental() %}
    {#- the newest web touch: a session the last run saw, so no later than the sessions' newest
        day then (a sales touch, a CRM record's creation, can be days ahead of the web data) #}
    {%- set first_day = incremental_window_first_day(
        this, 'touched_at::date', where="touch_type = 'web'") %}
{%- endif %}
with

visitors as (

    select * from {{ ref('int_people__visitors') }}

),

records as (

    select
        identity_key,
        min(created_at) as inquiry_at,
        (array_agg(lead_source_channel order by created_at)
            filter (where is_sales_created and lead_source_channel is not null))[1]
            as sales_channel,
        -- a CSV CRM export's own origin of the lead (its channel), the touch of a person with no
        -- web touch that sales did not create (HubSpot and Salesforce leave web leads to GA4)
        (array_agg(lead_source_channel order by created_at)
            filter (where not is_sales_created and crm = 'csv_crm'
                and lead_source_channel is not null))[1]
            as crm_channel
    from {{ ref('int_people__records') }}
    where exclusion_reason is null
    group by identity_key

),

visitor_lists as (

    select identity_key, string_agg(user_pseudo_id, ',' order by user_pseudo_id) as user_pseudo_ids
    from visitors
    group by identity_key

),

people as (

    select
        {{ person_key('records.identity_key') }} as person_id,
        records.identity_key,
        records.inquiry_at,
        coalesce(records.sales_channel, records.crm_channel) as sales_channel,
        case when records.sales_channel is null and records.crm_channel is not null
            then 'crm' else 'sales' end as sales_touch_type,
        md5(row(records.inquiry_at, records.sales_channel, visitor_lists.user_pseudo_ids)::text
            || coalesce(records.crm_channel, ''))
            as inputs_md5
    from records
    left join visitor_lists on records.identity_key = visitor_lists.identity_key

),

{%- if is_incremental() %}

affected as (

    select people.person_id
    from people
    where not exists (
        select 1 from {{ this }} as touches
        where touches.person_id = people.person_id and touches.inputs_md5 = people.inputs_md5
    )
    union
    select visitors.person_id
    from {{ ref('int_ga4__sessions') }} as sessions
    inner join visitors on sessions.user_pseudo_id = visitors.user_pseudo_id
    where sessions.session_ended_at >= {{ first_day }} - 3
    union
    -- one read of the table: a touch in the window, or a person who no longer counts
    select person_id from {{ this }}
    where touched_at >= {{ first_day }} - 3
        or person_id not in (select person_id from people)

),

{%- endif %}

recomputed as (

    select people.*
    from people
    {%- if is_incremental() %}
    where people.person_id in (select person_id from affected)
    {%- endif %}

),

web as (

    select
        recomputed.person_id,
        recomputed.identity_key,
        'web' as touch_type,
        sessions.session_key as touch_id,
        sessions.session_started_at as touched_at,
        sessions.channel,
        sessions.source,
        sessions.medium,
        sessions.campaign
    from recomputed
    inner join visitors on recomputed.identity_key = visitors.identity_key
    -- each stitched browser's own sessions, found by the sessions' user_pseudo_id index: the
    -- cost follows the people's browsers, not the whole web history (a hash join read every
    -- session, most of them anonymous: docs/benchmarks.md)
    cross join lateral (
        select *
        from {{ ref('int_ga4__sessions') }} as browser_sessions
        where browser_sessions.user_pseudo_id = visitors.user_pseudo_id
            and not browser_sessions.is_bot
        offset 0  -- kept a subquery per browser: not flattened into a join of all sessions
    ) as sessions

),

sales as (

    select
        recomputed.person_id,
        recomputed.identity_key,
        recomputed.sales_touch_type as touch_type,
        recomputed.sales_touch_type || ':' || recomputed.person_id as touch_id,
        recomputed.inquiry_at as touched_at,
        recomputed.sales_channel as channel,
        null::text as source,
        null::text as medium,
        null::text as campaign
    from recomputed
    where recomputed.sales_channel is not null
        and not exists (select 1 from web where web.identity_key = recomputed.identity_key)

),

touches as (

    select * from web
    union all
    select * from sales

)

select
    touches.person_id,
    touches.touch_type,
    touches.touch_id,
    touches.touched_at,
    touches.channel,
    touches.source,
    touches.medium,
    touches.campaign,
    row_number() over (partition by touches.person_id order by touches.touched_at, touches.touch_id)
        as touch_number,
    count(*) over (partition by touches.person_id) as touches_total,
    recomputed.inputs_md5
from touches
inner join recomputed on touches.person_id = recomputed.person_id
{%- if is_incremental() %}

union all

-- an empty row for each recomputed person with no touch left (or who no longer counts): the
-- replace_keys strategy deletes their touches and does not insert it
select
    affected.person_id,
    null, null, null, null, null, null, null, null, null, null
from affected
where not exists (select 1 from touches where touches.person_id = affected.person_id)
{%- endif %}
