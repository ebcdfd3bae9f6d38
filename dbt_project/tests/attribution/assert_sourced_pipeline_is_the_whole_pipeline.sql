-- Every opportunity is sourced by exactly one channel and one campaign: the sourced pipeline
-- and revenue of pipeline_sourced_influenced's channel rows, and of its campaign rows, add up
-- to the sums of int_opportunities (exact: amounts are summed, not split).
with

opportunities as (

    select
        count(*) as opportunities,
        coalesce(sum(amount_reporting), 0) as pipeline,
        coalesce(sum(closed_revenue_reporting), 0) as revenue
    from {{ ref('int_opportunities') }}

),

sourced as (

    select
        breakdowns.breakdown,
        coalesce(sum(sourced.sourced_opportunities), 0) as opportunities,
        coalesce(sum(sourced.sourced_pipeline), 0) as pipeline,
        coalesce(sum(sourced.sourced_revenue), 0) as revenue
    from (values ('channel'), ('campaign')) as breakdowns (breakdown)
    left join {{ ref('pipeline_sourced_influenced') }} as sourced
        on breakdowns.breakdown = sourced.breakdown
    group by breakdowns.breakdown

)

select sourced.*
from sourced
cross join opportunities
where sourced.opportunities <> opportunities.opportunities
    or sourced.pipeline <> opportunities.pipeline
    or sourced.revenue <> opportunities.revenue
