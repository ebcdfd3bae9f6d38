-- One row per lead of a CSV CRM export (CRM=csv_crm, docs/byo-crm.md; its latest version) on
-- the common lead-record model. The mapping already put the lead's stage and channel on common
-- values; the contract (crm.csv_crm) maps them onto the waterfall. Stage moments: the dates the
-- export carries (mql_at, sal_at, sql_at, disqualified_at, when mapped), else the first version
-- that showed the stage (its updated_at, else the day of the file it came in; the creation
-- when the lead's first version already showed it). Its deal: the
-- first deal naming the lead (or the deal the lead names). A deal without an id is named after
-- its lead ('lead:<lead_id>'); one without a creation date was created when it closed; one
-- without an amount has a null amount (unknown pipeline and revenue, never zero). Deletions:
-- a lead whose latest version is flagged deleted (is_deleted) or carries a deletion moment
-- (deleted_at) is a deleted record, as HubSpot's archived contacts and Salesforce's IsDeleted
-- leads are (dim_people leaves out a person all of whose records are deleted, and
-- people_exclusions counts them); a deal whose latest version is deleted is no deal (its id is in deleted_deal_ids:
-- people_exclusions counts it).
{%- set csv_crm = lead_definition()['crm']['csv_crm'] %}

with

versions as (

    select
        *,
        coalesce(updated_at, partition_date::timestamp at time zone 'UTC') as seen_at,
        {{ contract_map('stage', csv_crm['lead_stages']) }} as funnel_stage
    from {{ ref('stg_csv_crm__leads') }}

),

leads as (

    select distinct on (lead_id) *
    from versions
    order by lead_id, updated_at desc nulls last, partition_date desc, source_line desc

),

sightings as (

    -- when each version shows its stage: a lead whose first version already shows it entered
    -- it when created (it was never seen below it); otherwise when the version was seen
    select
        *,
        case when seen_at = min(seen_at) over (partition by lead_id) then created_at
            else greatest(seen_at, created_at) end as stage_seen_at
    from versions

),

recorded as (

    select
        lead_id,
        coalesce(min(mql_at), min(stage_seen_at)
            filter (where {{ stage_rank('funnel_stage') }} >= 2)) as mql_at,
        coalesce(min(sal_at), min(stage_seen_at)
            filter (where {{ stage_rank('funnel_stage') }} >= 3)) as sal_at,
        coalesce(min(sql_at), min(stage_seen_at)
            filter (where {{ stage_rank('funnel_stage') }} >= 4)) as sql_at,
        coalesce(min(disqualified_at), min(stage_seen_at)
            filter (where funnel_stage = 'disqualified')) as disqualified_at,
        -- the CRM itself marked the lead marketing qualified: an MQL date, or the mql stage
        bool_or(mql_at is not null or funnel_stage = 'mql') as crm_marked_mql
    from sightings
    group by lead_id

),

deal_versions as (

    select
        *,
        coalesce(deal_id, 'lead:' || lead_id) as deal_key
    from {{ ref('stg_csv_crm__deals') }}

),

deals as (

    select distinct on (deal_key)
        deal_key as deal_id,
        lead_id,
        owner,
        amount,
        currency_code,
        {{ contract_map('stage', csv_crm['deal_stages']) }} as outcome,
        lost_reason,
        coalesce(is_deleted, false) or deleted_at is not null as is_deleted,
        coalesce(closed_at, close_date::timestamp at time zone 'UTC') as closed_at,
        coalesce(created_at, closed_at, close_date::timestamp at time zone 'UTC',
                 partition_date::timestamp at time zone 'UTC') as created_at
    from deal_versions
    order by deal_key, partition_date desc, source_line desc

),

lead_deals as (

    -- a deal naming its lead, or the deal a lead names
    select deals.*, deals.lead_id as deal_lead_id from deals
    where deals.lead_id is not null
    union
    select deals.*, leads.lead_id as deal_lead_id
    from leads
    inner join deals on deals.deal_id = leads.converted_deal_id

),

first_deal as (

    -- a deleted deal is none
    select distinct on (deal_lead_id) *
    from lead_deals
    where not is_deleted
    order by deal_lead_id, created_at, deal_id

),

deleted_deals as (

    select deal_lead_id, array_agg(distinct deal_id order by deal_id) as deal_ids
    from lead_deals
    where is_deleted
    group by deal_lead_id

)

select
    'csv_crm' as crm,
    leads.lead_id as record_id,
    {{ email_key('leads.email') }} as email_key,
    split_part({{ email_key('leads.email') }}, '@', 2) as email_domain,
    nullif(lower(concat_ws(' ', leads.first_name, leads.last_name)), '') as full_name_lower,
    leads.created_at,
    leads.updated_at,
    coalesce(leads.is_deleted, false) or leads.deleted_at is not null as is_deleted,
    -- the lead's owner, else its deal's (a closed-deals export names the rep on the deal)
    coalesce(leads.owner, first_deal.owner) as owner_id,
    leads.lead_score,
    {%- if csv_crm.get('mql_from_crm', true) %}
    -- the contract's MQL rule is met by the score, or by the CRM's own qualification: it marked
    -- the lead an MQL (a date or the mql stage), or, with no score in the export, put it at mql
    -- or later
    coalesce(recorded.crm_marked_mql, false)
        or (leads.lead_score is null and recorded.mql_at is not null) as is_high_intent,
    {%- else %}
    false as is_high_intent,
    {%- endif %}
    {{ is_one_of('leads.channel', csv_crm.get('sales_created_channels', [])) }} as is_sales_created,
    leads.channel as lead_source_channel,
    leads.channel as crm_original_source,
    leads.channel as crm_lead_source,
    null::text as crm_source_detail,
    null::text as google_click_id,
    leads.ga_client_id,
    leads.self_reported_source,
    leads.rejection_reason,
    leads.funnel_stage as crm_stage,
    leads.stage as crm_status,
    recorded.mql_at as crm_mql_at,
    recorded.sal_at as crm_sal_at,
    recorded.sql_at as crm_sql_at,
    recorded.disqualified_at,
    first_deal.deal_id,
    first_deal.amount as deal_amount,
    first_deal.currency_code as deal_currency,
    first_deal.created_at as opportunity_at,
    first_deal.outcome as deal_outcome,
    first_deal.lost_reason,
    case when first_deal.outcome = 'won' then coalesce(first_deal.closed_at, first_deal.created_at)
    end as won_at,
    deleted_deals.deal_ids as deleted_deal_ids,
    null::timestamptz as first_sales_touch_at
from leads
left join recorded on leads.lead_id = recorded.lead_id
left join first_deal on leads.lead_id = first_deal.deal_lead_id
left join deleted_deals on leads.lead_id = deleted_deals.deal_lead_id
