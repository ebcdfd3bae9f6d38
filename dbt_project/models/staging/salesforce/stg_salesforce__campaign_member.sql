with

source as (

    select * from {{ source('salesforce', 'campaign_member') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as campaign_member_id,
        nullif(record ->> 'CampaignId', '') as campaign_id,
        nullif(record ->> 'LeadId', '') as lead_id,
        nullif(record ->> 'ContactId', '') as contact_id,
        nullif(record ->> 'Status', '') as member_status,
        nullif(record ->> 'HasResponded', '')::boolean as has_responded,
        nullif(record ->> 'FirstRespondedDate', '')::date as first_responded_date,
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
