with

source as (

    select * from {{ source('salesforce', 'campaign') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as campaign_id,
        nullif(record ->> 'ParentId', '') as parent_campaign_id,
        nullif(record ->> 'Name', '') as campaign_name,
        nullif(record ->> 'Type', '') as campaign_type,
        nullif(record ->> 'Status', '') as campaign_status,
        nullif(record ->> 'StartDate', '')::date as start_date,
        nullif(record ->> 'EndDate', '')::date as end_date,
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
