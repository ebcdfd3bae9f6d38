with

source as (

    select * from {{ source('salesforce', 'contact') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as contact_id,
        {{ salesforce_field('MasterRecordId') }} as master_record_id,
        {{ salesforce_field('AccountId') }} as account_id,
        {{ salesforce_field('FirstName') }} as first_name,
        {{ salesforce_field('LastName') }} as last_name,
        {{ salesforce_field('Email') }} as email,
        {{ salesforce_field('Title') }} as title,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{ salesforce_field('LeadSource') }} as lead_source,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
