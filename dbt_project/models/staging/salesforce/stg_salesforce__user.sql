with

source as (

    select * from {{ source('salesforce', 'user') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as user_id,
        {{ salesforce_field('Name') }} as full_name,
        {{ salesforce_field('FirstName') }} as first_name,
        {{ salesforce_field('LastName') }} as last_name,
        {{ salesforce_field('Email') }} as email,
        {{ salesforce_field('Department') }} as department,
        {{ salesforce_field('Title') }} as title,
        {{ salesforce_field('UserRoleId') }} as user_role_id,
        {{ salesforce_field('IsActive', 'boolean') }} as is_active,
        {{- salesforce_audit_columns(['CreatedDate', 'LastModifiedDate', 'SystemModstamp']) }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
