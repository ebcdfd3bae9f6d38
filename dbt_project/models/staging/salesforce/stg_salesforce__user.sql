with

source as (

    select * from {{ source('salesforce', 'user') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as user_id,
        nullif(record ->> 'Name', '') as full_name,
        nullif(record ->> 'FirstName', '') as first_name,
        nullif(record ->> 'LastName', '') as last_name,
        nullif(record ->> 'Email', '') as email,
        nullif(record ->> 'Department', '') as department,
        nullif(record ->> 'Title', '') as title,
        nullif(record ->> 'UserRoleId', '') as user_role_id,
        nullif(record ->> 'IsActive', '')::boolean as is_active,
        nullif(record ->> 'CreatedDate', '')::timestamptz as created_at,
        nullif(record ->> 'LastModifiedDate', '')::timestamptz as updated_at,
        nullif(record ->> 'SystemModstamp', '')::timestamptz as system_modified_at,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
