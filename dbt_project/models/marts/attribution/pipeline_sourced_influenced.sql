-- Sourced vs influenced pipeline and revenue, by channel and by campaign within the channel.
-- Sourced: the opportunities whose first touch (the person's first touch) was in the channel
-- (campaign), each counted whole, so the channels' sourced pipeline adds up to the whole
-- pipeline. Influenced: the opportunities with any touch before their creation in the channel
-- (campaign), each counted once however many such touches it had; an opportunity influenced
-- by several channels counts in each, so influenced does not add up across channels.
-- Two breakdowns in one table (breakdown column): 'channel' rows (campaign null) and
-- 'campaign' rows (a touch with no campaign under the contract's no_campaign_label); the campaign rows of a
-- channel add up to its channel row for sourced figures, not for influenced ones.
with

touches as (

    select * from {{ ref('int_attribution__touches') }}

),

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

-- one row per opportunity and channel/campaign it touched, flagged if it sourced it
touched as (

    select
        touches.opportunity_id,
        touches.channel,
        coalesce(touches.campaign, {{ no_campaign() }}) as campaign,
        bool_or(touches.is_first_touch) as is_sourced
    from touches
    group by 1, 2, 3

),

touched_channels as (

    select
        opportunity_id,
        channel,
        bool_or(is_sourced) as is_sourced
    from touched
    group by 1, 2

),

combined as (

    select
        'channel' as breakdown,
        opportunity_id,
        channel,
        null::text as campaign,
        is_sourced
    from touched_channels
    union all
    select
        'campaign' as breakdown,
        opportunity_id,
        channel,
        campaign,
        is_sourced
    from touched

),

final as (

    select
        combined.breakdown,
        combined.channel,
        combined.campaign,
        count(*) filter (where combined.is_sourced) as sourced_opportunities,
        -- none sourced: 0; sourced ones without amounts: unknown (null), never 0
        case when count(*) filter (where combined.is_sourced) = 0 then 0 else
            sum(opportunities.amount_reporting) filter (where combined.is_sourced) end
            as sourced_pipeline,
        case when count(*) filter (where combined.is_sourced) = 0 then 0 else
            sum(opportunities.closed_revenue_reporting) filter (where combined.is_sourced) end
            as sourced_revenue,
        count(*) as influenced_opportunities,
        sum(opportunities.amount_reporting) as influenced_pipeline,
        sum(opportunities.closed_revenue_reporting) as influenced_revenue,
        '{{ reporting_currency() }}'::text as reporting_currency,
        {{ lead_definition_version() }} as lead_definition_version
    from combined
    inner join opportunities on combined.opportunity_id = opportunities.opportunity_id
    group by combined.breakdown, combined.channel, combined.campaign

)

select * from final
