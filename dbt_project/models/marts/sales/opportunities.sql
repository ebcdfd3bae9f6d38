-- One row per opportunity (CRM deal) of a counted person: its amount (pipeline) and the revenue
-- it closed, in the reporting currency, when it was created and won, and the channel and
-- campaign that sourced it: the first touch of its journey (int_attribution__touches' first
-- touch, read from attribution_opportunities' first_touch rows, as pipeline_sourced_influenced
-- counts it), so the sums by channel are the sourced pipeline and revenue.
-- A deal whose latest version is deleted in the CRM is no opportunity (the lead-record models
-- drop it; people_exclusions counts it under 'deleted deal').
-- The semantic layer's pipeline, won revenue and win rate read this mart. A deal created or won
-- before its person's first contact is kept, flagged in `anomalies`.
with

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

first_touches as (

    select * from {{ ref('attribution_opportunities') }}
    where attribution_model = 'first_touch' and is_first_touch

),

people as (

    select * from {{ ref('dim_people') }}

)

select
    opportunities.opportunity_id,
    opportunities.person_id,
    opportunities.crm,
    opportunities.crm_record_id,
    opportunities.created_at,
    opportunities.outcome,
    opportunities.outcome in ('won', 'lost') as is_closed,
    opportunities.outcome = 'won' as is_won,
    opportunities.won_at,
    opportunities.lost_reason,
    opportunities.amount,
    opportunities.currency_code,
    opportunities.fx_rate,
    opportunities.amount_reporting,
    opportunities.closed_revenue_reporting,
    opportunities.reporting_currency,
    first_touches.channel as first_touch_channel,
    first_touches.campaign as first_touch_campaign,
    first_touches.touch_type as first_touch_type,
    case when people.is_sales_created then 'sales' else 'marketing' end as segment,
    -- kept as the CRM says, flagged (counted in crm_anomalies through dim_people)
    nullif(concat_ws(',',
        case when opportunities.won_at < opportunities.person_inquiry_at
            then 'won_before_first_contact' end,
        case when opportunities.created_at < opportunities.person_inquiry_at
            then 'opportunity_before_first_contact' end), '') as anomalies,
    {{ lead_definition_version() }} as lead_definition_version
from opportunities
inner join first_touches on opportunities.opportunity_id = first_touches.opportunity_id
left join people on opportunities.person_id = people.person_id
