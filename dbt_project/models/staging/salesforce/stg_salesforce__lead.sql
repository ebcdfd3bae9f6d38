with

source as (

    select * from {{ source('salesforce', 'lead') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as lead_id,
        nullif(record ->> 'MasterRecordId', '') as master_record_id,
        nullif(record ->> 'FirstName', '') as first_name,
        nullif(record ->> 'LastName', '') as last_name,
        nullif(record ->> 'Email', '') as email,
        nullif(record ->> 'Company', '') as company_name,
        nullif(record ->> 'Title', '') as title,
        nullif(record ->> 'Status', '') as lead_status,
        nullif(record ->> 'LeadSource', '') as lead_source,
        nullif(record ->> 'OwnerId', '') as owner_id,
        nullif(record ->> 'Rating', '') as rating,
        nullif(record ->> 'IsConverted', '')::boolean as is_converted,
        nullif(record ->> 'ConvertedDate', '')::date as converted_date,
        nullif(record ->> 'ConvertedContactId', '') as converted_contact_id,
        nullif(record ->> 'ConvertedAccountId', '') as converted_account_id,
        nullif(record ->> 'ConvertedOpportunityId', '') as converted_opportunity_id,
        nullif(record ->> 'How_Did_You_Hear__c', '') as self_reported_source,
        nullif(record ->> 'Lead_Score__c', '')::numeric::integer as lead_score,
        nullif(record ->> 'Rejection_Reason__c', '') as rejection_reason,
        nullif(record ->> 'UTM_Source__c', '') as utm_source,
        nullif(record ->> 'UTM_Medium__c', '') as utm_medium,
        nullif(record ->> 'UTM_Campaign__c', '') as utm_campaign,
        nullif(record ->> 'GCLID__c', '') as google_click_id,
        nullif(record ->> 'GA_Client_ID__c', '') as ga_client_id,
        nullif(record ->> 'MQL_Date__c', '')::timestamptz as mql_at,
        nullif(record ->> 'IsDeleted', '')::boolean as is_deleted,
        nullif(record ->> 'CreatedDate', '')::timestamptz as created_at,
        nullif(record ->> 'LastModifiedDate', '')::timestamptz as updated_at,
        nullif(record ->> 'SystemModstamp', '')::timestamptz as system_modified_at,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
