with

source as (

    select * from {{ source('salesforce', 'contact') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as contact_id,
        nullif(record ->> 'MasterRecordId', '') as master_record_id,
        nullif(record ->> 'AccountId', '') as account_id,
        nullif(record ->> 'FirstName', '') as first_name,
        nullif(record ->> 'LastName', '') as last_name,
        nullif(record ->> 'Email', '') as email,
        nullif(record ->> 'Title', '') as title,
        nullif(record ->> 'OwnerId', '') as owner_id,
        nullif(record ->> 'LeadSource', '') as lead_source,
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
