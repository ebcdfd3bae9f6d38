-- What sales says about the leads and deals marketing sourced: why sales rejected leads
-- (disqualified before accepting them) and why deals were lost, by first-touch channel and
-- campaign. A person counts once per reason type: their rejection, or their first deal's loss.
with

people as (

    select * from {{ ref('dim_people') }}

),

reasons as (

    select
        'rejected' as reason_type,
        rejection_reason as reason,
        first_touch_channel,
        first_touch_campaign
    from people
    where disqualified_at is not null

    union all

    select
        'lost' as reason_type,
        lost_reason as reason,
        first_touch_channel,
        first_touch_campaign
    from people
    where deal_outcome = 'lost'

)

select
    reason_type,
    coalesce(reason, '(no reason given)') as reason,
    first_touch_channel,
    coalesce(first_touch_campaign, {{ no_campaign() }}) as first_touch_campaign,
    count(*) as people,
    {{ lead_definition_version() }} as lead_definition_version
from reasons
group by 1, 2, 3, 4
