-- One row per opportunity, touch before it and attribution model: the share of the opportunity
-- the model gives the touch (credit; each opportunity's credits sum to 1 in every model), and
-- the pipeline (credit x amount) and closed revenue (credit x amount, if won) that share is
-- worth, in the reporting currency. Every touch is on every model's rows (0 where the model
-- gives it nothing), so the models compare row for row.
--   first_touch     all to the first touch
--   last_touch      all to the last touch before the opportunity was created
--   linear          equal shares
--   position_based  40% first, 40% last, 20% spread over the touches between (one touch: 100%,
--                   two: 50/50)
--   w_shaped        30% first, 30% lead creation (the touch at or before the person's first CRM
--                   record: the form's session), 30% last, 10% spread over the other touches;
--                   a touch in several roles adds their shares, and the shares are scaled to
--                   100% when roles coincide or are missing
--   time_decay      weight 2^(-days before the opportunity / var attribution_half_life_days),
--                   scaled to 100% (a weight below 2^-1000 of the last touch's counts as that)
--   markov          data-driven: the opportunity split across the channels on its path in
--                   proportion to their Markov removal effects
--                   (int_attribution__markov_removal_effects), each channel's share spread
--                   equally over its touches on the path
{%- set half_life_days = var('attribution_half_life_days') %}

with

touches as (

    select * from {{ ref('int_attribution__touches') }}

),

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

removal_effects as (

    select * from {{ ref('int_attribution__markov_removal_effects') }}

),

channel_touches as (

    select
        touches.*,
        count(*) over (partition by touches.opportunity_id, touches.channel)
            as channel_touches_on_path,
        removal_effects.removal_effect
    from touches
    left join removal_effects on touches.channel = removal_effects.channel

),

weighted as (

    select
        channel_touches.*,
        -- w_shaped: the roles' shares, added where a touch holds several
        0.3 * is_first_touch::int
            + 0.3 * is_lead_creation_touch::int
            + 0.3 * is_last_touch::int
            + case
                when not (is_first_touch or is_lead_creation_touch or is_last_touch)
                    then 0.1 / count(*) filter (
                        where not (is_first_touch or is_lead_creation_touch or is_last_touch)
                    ) over (partition by opportunity_id)
                else 0
            end as w_shaped_weight,
        -- time_decay: 2^(-days / half-life), taken relative to the journey's last touch (the
        -- scaling cancels out) and floored at 2^-1000, so a touch years older than the others
        -- weighs ~1e-301 instead of underflowing double precision (an error in PostgreSQL)
        power(2::double precision, greatest(-1000::double precision,
            -(days_before_opportunity - min(days_before_opportunity) over (
                partition by opportunity_id))::double precision / {{ half_life_days }}))
            as time_decay_weight,
        -- markov: the channel's removal effect, shared by its touches on the path
        coalesce(removal_effect, 0) / channel_touches_on_path as markov_weight
    from channel_touches

),

credited as (

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
        is_first_touch,
        is_lead_creation_touch,
        is_last_touch,
        days_before_opportunity,
        case when is_first_touch then 1 else 0 end::double precision as first_touch,
        case when is_last_touch then 1 else 0 end::double precision as last_touch,
        1::double precision / touches_before_opportunity as linear,
        case
            when touches_before_opportunity = 1 then 1
            when touches_before_opportunity = 2 then 0.5
            when is_first_touch or is_last_touch then 0.4
            else 0.2 / (touches_before_opportunity - 2)
        end::double precision as position_based,
        (w_shaped_weight / sum(w_shaped_weight) over (partition by opportunity_id))
            ::double precision as w_shaped,
        time_decay_weight / sum(time_decay_weight) over (partition by opportunity_id)
            as time_decay,
        -- an opportunity whose channels all have no removal effect (no conversion learnt at
        -- all) falls back to equal shares
        coalesce(
            markov_weight / nullif(sum(markov_weight) over (partition by opportunity_id), 0),
            1::double precision / touches_before_opportunity
        ) as markov
    from weighted

),

final as (

    select
        credited.opportunity_id,
        credited.person_id,
        credited.touch_id,
        credited.touch_type,
        credited.touched_at,
        credited.channel,
        credited.source,
        credited.medium,
        credited.campaign,
        credited.touch_position,
        credited.touches_before_opportunity,
        credited.is_first_touch,
        credited.is_lead_creation_touch,
        credited.is_last_touch,
        credited.days_before_opportunity,
        opportunities.created_at as opportunity_created_at,
        opportunities.outcome,
        models.attribution_model,
        models.credit,
        models.credit::numeric * opportunities.amount_reporting as attributed_pipeline,
        models.credit::numeric * opportunities.closed_revenue_reporting as attributed_revenue,
        opportunities.reporting_currency,
        {{ lead_definition_version() }} as lead_definition_version
    from credited
    inner join opportunities on credited.opportunity_id = opportunities.opportunity_id
    cross join lateral (
        values
            ('first_touch', credited.first_touch),
            ('last_touch', credited.last_touch),
            ('linear', credited.linear),
            ('position_based', credited.position_based),
            ('w_shaped', credited.w_shaped),
            ('time_decay', credited.time_decay),
            ('markov', credited.markov)
    ) as models (attribution_model, credit)

)

select * from final
