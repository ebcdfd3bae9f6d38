-- Every attribution model hands out exactly the whole pipeline and closed revenue: per model,
-- the attributed amounts of attribution_opportunities, and of attribution_by_channel, add up to
-- the sums of int_opportunities (tolerance 1e-6 in the reporting currency, for the rounding of
-- double-precision credits). A model missing for an opportunity fails here too.
with

opportunities as (

    select
        sum(amount_reporting) as pipeline,
        sum(closed_revenue_reporting) as revenue
    from {{ ref('int_opportunities') }}

),

by_touch as (

    select
        'attribution_opportunities' as mart,
        attribution_model,
        sum(attributed_pipeline) as pipeline,
        sum(attributed_revenue) as revenue
    from {{ ref('attribution_opportunities') }}
    group by attribution_model

),

by_channel as (

    select
        'attribution_by_channel' as mart,
        attribution_model,
        sum(attributed_pipeline) as pipeline,
        sum(attributed_revenue) as revenue
    from {{ ref('attribution_by_channel') }}
    group by attribution_model

),

models as (

    select model.attribution_model
    from (
        values ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('w_shaped'),
            ('time_decay'), ('markov')
    ) as model (attribution_model)

),

attributed as (

    select * from by_touch
    union all
    select * from by_channel

)

select
    marts.mart,
    models.attribution_model,
    attributed.pipeline as attributed_pipeline,
    opportunities.pipeline,
    attributed.revenue as attributed_revenue,
    opportunities.revenue
from models
cross join (values ('attribution_opportunities'), ('attribution_by_channel')) as marts (mart)
cross join opportunities
left join attributed
    on models.attribution_model = attributed.attribution_model
    and marts.mart = attributed.mart
where abs(coalesce(attributed.pipeline, 0) - coalesce(opportunities.pipeline, 0)) >= 1e-6
    or abs(coalesce(attributed.revenue, 0) - coalesce(opportunities.revenue, 0)) >= 1e-6
