-- One row per person (not per CRM record): records sharing the identity key are one person
-- (the normalized email; a record without one is its own person, keyed by its CRM record id:
-- identity_source says which). Anomalies (a deal won before the first contact, a stage entered
-- before the record was created) are kept and flagged in `anomalies`.
-- Excluded people (test, internal, spam, competitors) and records deleted in the CRM are left
-- out; int_people__records keeps them with the reason. No PII: the key is a salted hash.
with

records as (

    select * from {{ ref('int_people__records') }}
    where exclusion_reason is null

),

people as (

    select
        identity_key,
        min(created_at) as inquiry_at,
        min(mql_at) as mql_at,
        min(sal_at) as sal_at,
        min(sql_at) as sql_at,
        min(opportunity_stage_at) as opportunity_at,
        min(customer_at) as customer_at,
        min(first_sales_touch_at) as first_sales_touch_at,
        count(*) as crm_records,
        bool_and(is_deleted) as all_records_deleted,
        bool_or(anomalies like '%stage_before_created%') as has_stage_before_created
    from records
    group by identity_key

),

first_touch as (

    select * from {{ ref('int_people__touchpoints') }}
    where touch_number = 1

),

primary_record as (

    -- the person's oldest record that still exists carries their attributes
    select distinct on (identity_key) *
    from records
    order by identity_key, is_deleted, created_at, record_id

)

select
    {{ person_key('people.identity_key') }} as person_id,
    primary_record.crm,
    primary_record.record_id as crm_record_id,
    people.crm_records,
    people.inquiry_at,
    people.mql_at,
    people.sal_at,
    case when people.sal_at is null then primary_record.disqualified_at end as disqualified_at,
    case when people.sal_at is null then primary_record.rejection_reason end as rejection_reason,
    people.sql_at,
    people.opportunity_at,
    people.customer_at,
    case
        when people.customer_at is not null then 'customer'
        when people.opportunity_at is not null then 'opportunity'
        when people.sql_at is not null then 'sql'
        when people.sal_at is not null then 'sal'
        when primary_record.disqualified_at is not null then 'disqualified'
        when people.mql_at is not null then 'mql'
        else 'inquiry'
    end as current_stage,
    primary_record.is_sales_created,
    primary_record.owner_id,
    people.first_sales_touch_at,
    primary_record.lead_score,
    first_touch.touched_at as first_touch_at,
    coalesce(first_touch.channel, primary_record.lead_source_channel, 'other') as first_touch_channel,
    first_touch.campaign as first_touch_campaign,
    coalesce(first_touch.touch_type, 'none') as first_touch_type,
    primary_record.crm_original_source,
    primary_record.crm_lead_source,
    primary_record.crm_source_detail,
    primary_record.self_reported_source,
    primary_record.deal_outcome,
    primary_record.lost_reason,
    primary_record.identity_source,
    nullif(concat_ws(',',
        case when people.customer_at < people.inquiry_at then 'won_before_first_contact' end,
        case when people.opportunity_at < people.inquiry_at
            then 'opportunity_before_first_contact' end,
        case when people.has_stage_before_created then 'stage_before_created' end), '')
        as anomalies,
    {{ lead_definition_version() }} as lead_definition_version
from people
inner join primary_record on people.identity_key = primary_record.identity_key
left join first_touch on {{ person_key('people.identity_key') }} = first_touch.person_id
where not people.all_records_deleted
