-- One row per opportunity and touch that led to it: every touch of the person up to the moment
-- the opportunity was created (touched_at <= created_at, so a person whose only touch is their
-- creation by sales at that same moment keeps it), numbered in order, with the roles the
-- position-based models read (first, lead creation, last) and the time before the opportunity.
-- An opportunity of a person with no touch before it (no stitched web session and no sales lead
-- source) gets one stand-in touch at its creation, with the channel dim_people gives such a
-- person (the CRM lead source's channel, else other), so every opportunity is attributed whole.
with

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

touchpoints as (

    select * from {{ ref('int_people__touchpoints') }}

),

records as (

    select * from {{ ref('int_people__records') }}
    where exclusion_reason is null

),

lead_source_channels as (

    -- the channel of the person's CRM lead source, from their oldest record (as dim_people)
    select distinct on (identity_key)
        {{ person_key('identity_key') }} as person_id,
        lead_source_channel
    from records
    order by identity_key, is_deleted, created_at, record_id

),

tracked as (

    select
        opportunities.opportunity_id,
        opportunities.person_id,
        touchpoints.touch_id,
        touchpoints.touch_type,
        touchpoints.touched_at,
        touchpoints.channel,
        touchpoints.source,
        touchpoints.medium,
        touchpoints.campaign
    from opportunities
    inner join touchpoints
        on opportunities.person_id = touchpoints.person_id
        and touchpoints.touched_at <= opportunities.created_at

),

untracked as (

    select
        opportunities.opportunity_id,
        opportunities.person_id,
        'none:' || opportunities.opportunity_id as touch_id,
        'none' as touch_type,
        opportunities.created_at as touched_at,
        coalesce(lead_source_channels.lead_source_channel, 'other') as channel,
        null::text as source,
        null::text as medium,
        null::text as campaign
    from opportunities
    left join lead_source_channels
        on opportunities.person_id = lead_source_channels.person_id
    where not exists (
        select 1 from tracked where tracked.opportunity_id = opportunities.opportunity_id
    )

),

touches as (

    select * from tracked
    union all
    select * from untracked

),

positioned as (

    select
        touches.*,
        opportunities.created_at as opportunity_created_at,
        opportunities.person_inquiry_at,
        row_number() over (
            partition by touches.opportunity_id order by touches.touched_at, touches.touch_id
        ) as touch_position,
        count(*) over (partition by touches.opportunity_id) as touches_before_opportunity,
        -- the lead-creation touch: the last one at or before the person's first CRM record
        -- (for a web lead, the session whose form created them)
        row_number() over (
            partition by touches.opportunity_id,
                touches.touched_at <= opportunities.person_inquiry_at
            order by touches.touched_at desc, touches.touch_id desc
        ) = 1 and touches.touched_at <= opportunities.person_inquiry_at
            as is_lead_creation_touch
    from touches
    inner join opportunities on touches.opportunity_id = opportunities.opportunity_id

),

final as (

    select
        opportunity_id,
        person_id,
        touch_id,
        touch_type,
        touched_at,
        channel,
        source,
        medium,
        campaign,
        touch_position,
        touches_before_opportunity,
        touch_position = 1 as is_first_touch,
        is_lead_creation_touch,
        touch_position = touches_before_opportunity as is_last_touch,
        opportunity_created_at,
        opportunity_created_at - touched_at as time_before_opportunity,
        extract(epoch from opportunity_created_at - touched_at) / 86400.0
            as days_before_opportunity
    from positioned

)

select * from final
