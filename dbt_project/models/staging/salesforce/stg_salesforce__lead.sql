with

source as (

    select * from {{ source('salesforce', 'lead') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as lead_id,
        {{ salesforce_field('MasterRecordId') }} as master_record_id,
        {{ salesforce_field('FirstName') }} as first_name,
        {{ salesforce_field('LastName') }} as last_name,
        {{ salesforce_field('Email') }} as email,
        {{ salesforce_field('Company') }} as company_name,
        {{ salesforce_field('Title') }} as title,
        {{ salesforce_field('Status') }} as lead_status,
        {{ salesforce_field('LeadSource') }} as lead_source,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{ salesforce_field('Rating') }} as rating,
        {{ salesforce_field('IsConverted', 'boolean') }} as is_converted,
        {{ salesforce_field('ConvertedDate', 'date') }} as converted_date,
        {{ salesforce_field('ConvertedContactId') }} as converted_contact_id,
        {{ salesforce_field('ConvertedAccountId') }} as converted_account_id,
        {{ salesforce_field('ConvertedOpportunityId') }} as converted_opportunity_id,
        {{ salesforce_field('How_Did_You_Hear__c') }} as self_reported_source,
        {{ salesforce_field('Lead_Score__c', 'numeric::integer') }} as lead_score,
        {{ salesforce_field('Rejection_Reason__c') }} as rejection_reason,
        {{ salesforce_field('UTM_Source__c') }} as utm_source,
        {{ salesforce_field('UTM_Medium__c') }} as utm_medium,
        {{ salesforce_field('UTM_Campaign__c') }} as utm_campaign,
        {{ salesforce_field('GCLID__c') }} as google_click_id,
        {{ salesforce_field('GA_Client_ID__c') }} as ga_client_id,
        {{ salesforce_field('MQL_Date__c', 'timestamptz') }} as mql_at,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
