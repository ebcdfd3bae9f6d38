-- One row per channel of the taxonomy and attribution model: the pipeline and closed revenue
-- the model attributes to the channel's touches, the opportunities it credits (a fraction per
-- opportunity: the credit it gets) and the opportunities the channel touched at all. For each
-- model the channels' attributed pipeline adds up to the whole pipeline. Channels with no touch
-- on any opportunity are on it with zeros.
with

attribution as (

    select * from {{ ref('attribution_opportunities') }}

),

channels as (

    select * from {{ ref('channels') }}

),

models as (

    select distinct attribution_model from attribution

),

by_channel as (

    select
        channel,
        attribution_model,
        sum(credit) as attributed_opportunities,
        sum(attributed_pipeline) as attributed_pipeline,
        sum(attributed_revenue) as attributed_revenue,
        count(distinct opportunity_id) as opportunities_touched,
        count(*) as touches
    from attribution
    group by channel, attribution_model

),

final as (

    select
        channels.channel,
        channels.channel_group,
        models.attribution_model,
        coalesce(by_channel.attributed_opportunities, 0) as attributed_opportunities,
        -- no opportunity: 0; opportunities without amounts: unknown (null), never 0
        case when by_channel.channel is null then 0 else by_channel.attributed_pipeline end
            as attributed_pipeline,
        case when by_channel.channel is null then 0 else by_channel.attributed_revenue end
            as attributed_revenue,
        coalesce(by_channel.opportunities_touched, 0) as opportunities_touched,
        coalesce(by_channel.touches, 0) as touches,
        '{{ reporting_currency() }}'::text as reporting_currency,
        {{ lead_definition_version() }} as lead_definition_version
    from channels
    cross join models
    left join by_channel
        on channels.channel = by_channel.channel
        and models.attribution_model = by_channel.attribution_model

)

select * from final
