with

source as (

    select * from {{ source('salesforce', 'lead_history') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as lead_history_id,
        nullif(record ->> 'LeadId', '') as lead_id,
        nullif(record ->> 'Field', '') as field_name,
        nullif(record ->> 'OldValue', '') as old_value,
        nullif(record ->> 'NewValue', '') as new_value,
        nullif(record ->> 'CreatedById', '') as created_by_id,
        nullif(record ->> 'IsDeleted', '')::boolean as is_deleted,
        nullif(record ->> 'CreatedDate', '')::timestamptz as created_at,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
