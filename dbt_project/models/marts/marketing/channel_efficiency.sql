-- What each channel (and each campaign within it) costs and returns: ad spend against the
-- people, pipeline and revenue it sourced (first touch), and the cost per stage, CAC, ROAS and
-- pipeline-to-spend that follow. Campaign rows meet spend and outcomes at one level, the campaign
-- utm_campaign names (docs/metrics.md#campaigns): a Google Ads or Meta campaign by its name as of
-- the spend day; for LinkedIn the LinkedIn campaign's name before the contract's
-- campaigns.linkedin_campaign_separator (campaigns named "<campaign> | <audience>"), not the
-- campaign group above it. A row without a campaign is the contract's no_campaign_label
-- (macro no_campaign(), the label pipeline_sourced_influenced writes too). A campaign with
-- spend and no sourced people, or people and no spend, still has its row. Without spend a cost
-- (per MQL, SQL, opportunity, CAC) is undefined: null, not 0.
{%- set separator = lead_definition()['campaigns']['linkedin_campaign_separator'] %}
with

spend as (

    select
        case when grouping(campaign) = 1 then 'channel' else 'campaign' end as breakdown,
        channel,
        campaign,
        sum(spend) as spend
    from (
        select
            channel,
            coalesce(
                case
                    when platform = 'linkedin_ads'
                        then split_part(group_name, {{ sql_string(separator) }}, 1)
                    else campaign_name
                end,
                {{ no_campaign() }}
            ) as campaign,
            spend
        from {{ ref('ad_performance_daily') }}
    ) as by_name
    group by grouping sets ((channel), (channel, campaign))

),

people as (

    select
        case when grouping(campaign) = 1 then 'channel' else 'campaign' end as breakdown,
        channel,
        campaign,
        count(*) as leads,
        count(mql_at) as mqls,
        count(sql_at) as sqls,
        count(opportunity_at) as opportunities,
        count(customer_at) as customers
    from (
        select *, first_touch_channel as channel,
               coalesce(first_touch_campaign, {{ no_campaign() }}) as campaign
        from {{ ref('dim_people') }}
    ) as people
    group by grouping sets ((channel), (channel, campaign))

),

sourced as (

    select
        breakdown,
        channel,
        case when breakdown = 'campaign' then coalesce(campaign, {{ no_campaign() }}) end as campaign,
        sourced_pipeline,
        sourced_revenue
    from {{ ref('pipeline_sourced_influenced') }}

),

keys as (

    select breakdown, channel, campaign from spend
    union
    select breakdown, channel, campaign from people

),

combined as (

    select
        keys.breakdown,
        keys.channel,
        keys.campaign,
        coalesce(spend.spend, 0) as spend,
        coalesce(people.leads, 0) as leads,
        coalesce(people.mqls, 0) as mqls,
        coalesce(people.sqls, 0) as sqls,
        coalesce(people.opportunities, 0) as opportunities,
        coalesce(people.customers, 0) as customers,
        -- 0 when the row sourced no opportunity; null (unknown, n/a) when its opportunities
        -- have no amount (a CRM export without amounts), never 0
        case when sourced.channel is null then 0 else sourced.sourced_pipeline end
            as sourced_pipeline,
        case when sourced.channel is null then 0 else sourced.sourced_revenue end
            as sourced_revenue
    from keys
    left join spend
        on keys.breakdown = spend.breakdown
        and keys.channel = spend.channel
        and keys.campaign is not distinct from spend.campaign
    left join people
        on keys.breakdown = people.breakdown
        and keys.channel = people.channel
        and keys.campaign is not distinct from people.campaign
    left join sourced
        on keys.breakdown = sourced.breakdown
        and keys.channel = sourced.channel
        and keys.campaign is not distinct from sourced.campaign

)

select
    breakdown,
    channel,
    campaign,
    '{{ reporting_currency() }}'::text as currency,
    spend,
    leads,
    mqls,
    sqls,
    opportunities,
    customers,
    sourced_pipeline,
    sourced_revenue,
    -- without spend a cost is undefined (null, n/a on dashboards), not 0
    nullif(spend, 0) / nullif(mqls, 0) as cost_per_mql,
    nullif(spend, 0) / nullif(sqls, 0) as cost_per_sql,
    nullif(spend, 0) / nullif(opportunities, 0) as cost_per_opportunity,
    nullif(spend, 0) / nullif(customers, 0) as cac,
    sourced_revenue / nullif(spend, 0) as roas,
    sourced_pipeline / nullif(spend, 0) as pipeline_to_spend,
    {{ lead_definition_version() }} as lead_definition_version
from combined
