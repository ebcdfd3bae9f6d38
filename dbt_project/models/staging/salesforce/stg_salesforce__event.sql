with

source as (

    select * from {{ source('salesforce', 'event') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as event_id,
        nullif(record ->> 'WhoId', '') as who_id,
        nullif(record ->> 'WhatId', '') as what_id,
        nullif(record ->> 'OwnerId', '') as owner_id,
        nullif(record ->> 'Subject', '') as subject,
        nullif(record ->> 'Type', '') as event_type,
        nullif(record ->> 'StartDateTime', '')::timestamptz as started_at,
        nullif(record ->> 'EndDateTime', '')::timestamptz as ended_at,
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
