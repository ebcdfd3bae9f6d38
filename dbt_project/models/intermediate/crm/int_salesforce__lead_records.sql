-- One row per Salesforce lead (its latest version) on the common lead-record model, with the
-- moments it entered each stage as Salesforce recorded them (status on every delivered version
-- and in LeadHistory, MQL_Date__c), its converted opportunity, its first sales touch (tasks and
-- events on the lead or its converted contact) and high intent (a rating the contract names).
-- The pull's Bulk 2.0 queryAll returns deleted rows with IsDeleted = true: an opportunity whose
-- latest version is deleted is no deal (no opportunity, pipeline or revenue); its id is kept in
-- deleted_deal_ids (people_exclusions counts it).
{%- set salesforce = lead_definition()['crm']['salesforce'] %}

with

versions as (

    select * from {{ ref('stg_salesforce__lead') }}

),

leads as (

    select distinct on (lead_id) *
    from versions
    order by lead_id, system_modified_at desc, partition_date desc, source_line desc

),

status_changes as (

    select lead_id, system_modified_at as changed_at,
           {{ contract_map('lead_status', salesforce['lead_status']) }} as stage
    from versions
    union all
    select lead_id, created_at as changed_at,
           {{ contract_map('new_value', salesforce['lead_status']) }} as stage
    from {{ ref('stg_salesforce__lead_history') }}
    where field_name = 'Status'

),

recorded as (

    select
        lead_id,
        min(changed_at) filter (where {{ stage_rank('stage') }} >= 3) as sal_at,
        min(changed_at) filter (where {{ stage_rank('stage') }} >= 4) as sql_at,
        min(changed_at) filter (where stage = 'disqualified') as disqualified_at
    from status_changes
    group by lead_id

),

recorded_mql as (

    select lead_id, min(mql_at) as mql_at
    from versions
    group by lead_id

),

opportunities as (

    select distinct on (opportunity_id)
        opportunity_id,
        amount,
        currency_code,
        created_at,
        {{ contract_map('stage_name', salesforce['opportunity_stages']) }} as outcome,
        lost_reason,
        coalesce(is_deleted, false) as is_deleted
    from {{ ref('stg_salesforce__opportunity') }}
    order by opportunity_id, system_modified_at desc, partition_date desc, source_line desc

),

live_opportunities as (

    select * from opportunities where not is_deleted

),

deleted_opportunities as (

    select opportunity_id from opportunities where is_deleted

),

won as (

    select opportunity_id, min(created_at) as won_at
    from {{ ref('stg_salesforce__opportunity_history') }}
    where {{ contract_map('stage_name', salesforce['opportunity_stages']) }} = 'won'
    group by opportunity_id

),

activities as (

    select who_id, coalesce(completed_at, created_at) as touched_at
    from {{ ref('stg_salesforce__task') }}
    where task_subtype in ('Call', 'Email')
    union all
    select who_id, started_at as touched_at
    from {{ ref('stg_salesforce__event') }}

),

touches as (

    select leads.lead_id, min(activities.touched_at) as first_sales_touch_at
    from leads
    inner join activities
        on activities.who_id in (leads.lead_id, leads.converted_contact_id)
    group by leads.lead_id

)

select
    'salesforce' as crm,
    leads.lead_id as record_id,
    {{ email_key('leads.email') }} as email_key,
    split_part({{ email_key('leads.email') }}, '@', 2) as email_domain,
    lower(concat_ws(' ', leads.first_name, leads.last_name)) as full_name_lower,
    leads.created_at,
    leads.updated_at,
    leads.is_deleted,
    leads.owner_id,
    leads.lead_score,
    {{ is_one_of('leads.rating', salesforce['high_intent_ratings']) }} as is_high_intent,
    {{ is_one_of('leads.lead_source', salesforce['sales_created_lead_sources']) }} as is_sales_created,
    {{ contract_map('leads.lead_source', salesforce.get('lead_source_channels', {})) }} as lead_source_channel,
    leads.lead_source as crm_original_source,
    leads.lead_source as crm_lead_source,
    leads.utm_campaign as crm_source_detail,
    leads.google_click_id,
    leads.ga_client_id,
    leads.self_reported_source,
    leads.rejection_reason,
    {{ contract_map('leads.lead_status', salesforce['lead_status']) }} as crm_stage,
    leads.lead_status as crm_status,
    recorded_mql.mql_at as crm_mql_at,
    recorded.sal_at as crm_sal_at,
    recorded.sql_at as crm_sql_at,
    recorded.disqualified_at,
    opportunities.opportunity_id as deal_id,
    opportunities.amount as deal_amount,
    opportunities.currency_code as deal_currency,
    opportunities.created_at as opportunity_at,
    opportunities.outcome as deal_outcome,
    opportunities.lost_reason,
    won.won_at,
    case when deleted_opportunities.opportunity_id is not null
        then array[deleted_opportunities.opportunity_id] end as deleted_deal_ids,
    touches.first_sales_touch_at
from leads
left join recorded on leads.lead_id = recorded.lead_id
left join recorded_mql on leads.lead_id = recorded_mql.lead_id
left join live_opportunities as opportunities
    on leads.converted_opportunity_id = opportunities.opportunity_id
left join deleted_opportunities
    on leads.converted_opportunity_id = deleted_opportunities.opportunity_id
left join won on opportunities.opportunity_id = won.opportunity_id
left join touches on leads.lead_id = touches.lead_id
