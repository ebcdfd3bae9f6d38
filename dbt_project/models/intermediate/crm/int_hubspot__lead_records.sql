-- One row per HubSpot contact (its current version) on the common lead-record model, with the
-- moments it entered each stage as HubSpot recorded them (property history), its deal, its first
-- sales touch and whether it showed high intent (a form the contract calls high-intent).
-- A deal whose latest version is archived (deleted in HubSpot) is no deal: the contact's first
-- live deal is its deal, and the archived ones are listed in deleted_deal_ids (people_exclusions
-- counts them).
{%- set definition = lead_definition() %}
{%- set hubspot = definition['crm']['hubspot'] %}

with

contacts as (

    select * from {{ ref('int_hubspot__contacts_current') }}

),

lifecycle_changes as (

    select
        contacts.contact_id,
        (change ->> 'timestamp')::timestamptz as changed_at,
        {{ contract_map("change ->> 'value'", hubspot['lifecyclestage']) }} as stage
    from contacts
    cross join lateral jsonb_array_elements(coalesce(contacts.lifecycle_stage_history, '[]'))
        as change

),

status_changes as (

    select
        contacts.contact_id,
        (change ->> 'timestamp')::timestamptz as changed_at,
        {{ contract_map("change ->> 'value'", hubspot['lead_status']) }} as stage
    from contacts
    cross join lateral jsonb_array_elements(coalesce(contacts.lead_status_history, '[]'))
        as change

),

recorded as (

    select
        contact_id,
        min(changed_at) filter (where {{ stage_rank('stage') }} >= 2) as mql_at,
        min(changed_at) filter (where {{ stage_rank('stage') }} >= 3) as sal_at,
        min(changed_at) filter (where {{ stage_rank('stage') }} >= 4) as sql_at,
        min(changed_at) filter (where stage = 'disqualified') as disqualified_at
    from (
        select * from lifecycle_changes
        union all
        select * from status_changes
    ) as changes
    group by contact_id

),

deal_versions as (

    select * from {{ ref('stg_hubspot__deals') }}

),

deals as (

    select distinct on (deal_id)
        deal_id,
        contact_id,
        amount,
        currency_code,
        created_at,
        {{ contract_map('deal_stage', hubspot['deal_stages']) }} as outcome,
        lost_reason,
        deal_stage_history,
        is_archived
    from deal_versions
    order by deal_id, updated_at desc, partition_date desc, source_line desc

),

deleted_deals as (

    select contact_id, array_agg(deal_id order by deal_id) as deal_ids
    from deals
    where is_archived and contact_id is not null
    group by contact_id

),

won as (

    select
        deals.deal_id,
        min((change ->> 'timestamp')::timestamptz) as won_at
    from deals
    cross join lateral jsonb_array_elements(coalesce(deals.deal_stage_history, '[]')) as change
    where {{ contract_map("change ->> 'value'", hubspot['deal_stages']) }} = 'won'
    group by deals.deal_id

),

first_deal as (

    select distinct on (deals.contact_id)
        deals.contact_id,
        deals.deal_id,
        deals.amount,
        deals.currency_code,
        deals.created_at as opportunity_at,
        deals.outcome,
        deals.lost_reason,
        won.won_at
    from deals
    left join won on deals.deal_id = won.deal_id
    where not deals.is_archived
    order by deals.contact_id, deals.created_at

),

touches as (

    select contact_id, min(engagement_at) as first_sales_touch_at
    from {{ ref('stg_hubspot__engagements') }}
    where engagement_type in ('CALL', 'EMAIL', 'MEETING')
    group by contact_id

),

high_intent_forms as (

    select distinct {{ email_key('email') }} as email_key
    from {{ ref('stg_hubspot__form_submissions') }}
    where false
    {%- for pattern in hubspot['high_intent_forms'] %}
        or form_id like {{ sql_string('%' ~ pattern ~ '%') }}
    {%- endfor %}

)

select
    'hubspot' as crm,
    contacts.contact_id as record_id,
    {{ email_key('contacts.email') }} as email_key,
    split_part({{ email_key('contacts.email') }}, '@', 2) as email_domain,
    lower(concat_ws(' ', contacts.first_name, contacts.last_name)) as full_name_lower,
    contacts.created_at,
    contacts.updated_at,
    contacts.is_archived as is_deleted,
    contacts.owner_id,
    contacts.lead_score,
    high_intent_forms.email_key is not null as is_high_intent,
    {{ is_one_of('contacts.lead_source', hubspot['sales_created_lead_sources']) }} as is_sales_created,
    {{ contract_map('contacts.lead_source', hubspot.get('lead_source_channels', {})) }} as lead_source_channel,
    contacts.analytics_source as crm_original_source,
    contacts.lead_source as crm_lead_source,
    contacts.analytics_source_data_1 as crm_source_detail,
    contacts.google_click_id,
    contacts.ga_client_id,
    contacts.self_reported_source,
    contacts.rejection_reason,
    {{ contract_map('contacts.lifecycle_stage', hubspot['lifecyclestage']) }} as crm_stage,
    contacts.lead_status as crm_status,
    recorded.mql_at as crm_mql_at,
    recorded.sal_at as crm_sal_at,
    recorded.sql_at as crm_sql_at,
    recorded.disqualified_at,
    first_deal.deal_id,
    first_deal.amount as deal_amount,
    first_deal.currency_code as deal_currency,
    first_deal.opportunity_at,
    first_deal.outcome as deal_outcome,
    first_deal.lost_reason,
    first_deal.won_at,
    deleted_deals.deal_ids as deleted_deal_ids,
    touches.first_sales_touch_at
from contacts
left join recorded on contacts.contact_id = recorded.contact_id
left join first_deal on contacts.contact_id = first_deal.contact_id
left join deleted_deals on contacts.contact_id = deleted_deals.contact_id
left join touches on contacts.contact_id = touches.contact_id
left join high_intent_forms on {{ email_key('contacts.email') }} = high_intent_forms.email_key
