with

source as (

    select * from {{ source('salesforce', 'opportunity') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as opportunity_id,
        nullif(record ->> 'AccountId', '') as account_id,
        nullif(record ->> 'Name', '') as opportunity_name,
        nullif(record ->> 'Amount', '')::numeric(18, 2) as amount,
        nullif(record ->> 'CurrencyIsoCode', '') as currency_code,
        nullif(record ->> 'StageName', '') as stage_name,
        nullif(record ->> 'Probability', '')::numeric as probability,
        nullif(record ->> 'CloseDate', '')::date as close_date,
        nullif(record ->> 'IsClosed', '')::boolean as is_closed,
        nullif(record ->> 'IsWon', '')::boolean as is_won,
        nullif(record ->> 'OwnerId', '') as owner_id,
        nullif(record ->> 'LeadSource', '') as lead_source,
        nullif(record ->> 'CampaignId', '') as campaign_id,
        nullif(record ->> 'Type', '') as opportunity_type,
        nullif(record ->> 'Loss_Reason__c', '') as lost_reason,
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
