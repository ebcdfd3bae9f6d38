with

source as (

    select * from {{ source('salesforce', 'account') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as account_id,
        nullif(record ->> 'MasterRecordId', '') as master_record_id,
        nullif(record ->> 'Name', '') as account_name,
        nullif(record ->> 'Industry', '') as industry,
        nullif(record ->> 'NumberOfEmployees', '')::numeric::integer as employee_count,
        nullif(record ->> 'BillingCountry', '') as billing_country,
        nullif(record ->> 'Website', '') as website,
        nullif(record ->> 'OwnerId', '') as owner_id,
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
