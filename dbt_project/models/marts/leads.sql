-- One row per person who became a lead, with their lifecycle stage on the common waterfall and
-- their original channel. No PII: emails and names stay in staging.
with

contacts as (

    select * from {{ ref('int_hubspot__contacts_current') }}
    where not is_archived

),

stages as (

    select * from {{ ref('hubspot_lifecycle_stages') }}

),

source_channels as (

    select * from {{ ref('hubspot_source_channels') }}

),

lead_source_channels as (

    select * from {{ ref('hubspot_lead_source_channels') }}

)

select
    'hubspot:' || contacts.contact_id as person_id,
    'hubspot' as crm,
    contacts.contact_id as crm_record_id,
    contacts.created_at,
    (contacts.created_at at time zone 'UTC')::date as created_date,
    -- an unmapped CRM value is kept as it came, so the audit names it
    coalesce(stages.lifecycle_stage, contacts.lifecycle_stage) as lifecycle_stage,
    contacts.lead_status,
    -- records sales created (original source OFFLINE) take their channel from lead_source
    coalesce(
        case when contacts.analytics_source = 'OFFLINE' then lead_source_channels.channel end,
        source_channels.channel,
        lower(contacts.analytics_source)
    ) as channel,
    contacts.analytics_source_data_1 as source_detail,
    contacts.lead_score,
    coalesce(stages.stage_order >= 2, false) as is_mql,
    contacts.updated_at
from contacts
left join stages on contacts.lifecycle_stage = stages.hubspot_lifecyclestage
left join source_channels on contacts.analytics_source = source_channels.hs_analytics_source
left join lead_source_channels on contacts.lead_source = lead_source_channels.lead_source
