-- Every marketing touch of every person, in order: each human web session of the visitors they
-- are (stitched by int_people__visitors), and, for people sales created without a web touch,
-- the lead source itself (outbound, event, partner, referral) at the moment they were created.
with

visitors as (

    select * from {{ ref('int_people__visitors') }}

),

people as (

    select
        email_key,
        min(created_at) as inquiry_at,
        (array_agg(lead_source_channel order by created_at)
            filter (where is_sales_created and lead_source_channel is not null))[1]
            as sales_channel
    from {{ ref('int_people__records') }}
    where exclusion_reason is null
    group by email_key

),

web as (

    select
        visitors.person_id,
        visitors.email_key,
        'web' as touch_type,
        sessions.session_key as touch_id,
        sessions.session_started_at as touched_at,
        sessions.channel,
        sessions.source,
        sessions.medium,
        sessions.campaign
    from visitors
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
        {{ person_key('people.email_key') }} as person_id,
        people.email_key,
        'sales' as touch_type,
        'sales:' || {{ person_key('people.email_key') }} as touch_id,
        people.inquiry_at as touched_at,
        people.sales_channel as channel,
        null::text as source,
        null::text as medium,
        null::text as campaign
    from people
    where people.sales_channel is not null
        and not exists (select 1 from web where web.email_key = people.email_key)

),

touches as (

    select * from web
    union all
    select * from sales

)

select
    person_id,
    touch_type,
    touch_id,
    touched_at,
    channel,
    source,
    medium,
    campaign,
    row_number() over (partition by person_id order by touched_at, touch_id) as touch_number,
    count(*) over (partition by person_id) as touches_total
from touches
