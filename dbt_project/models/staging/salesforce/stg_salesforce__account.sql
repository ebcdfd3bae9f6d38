with

source as (

    select * from {{ source('salesforce', 'account') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as account_id,
        {{ salesforce_field('MasterRecordId') }} as master_record_id,
        {{ salesforce_field('Name') }} as account_name,
        {{ salesforce_field('Industry') }} as industry,
        {{ salesforce_field('NumberOfEmployees', 'numeric::integer') }} as employee_count,
        {{ salesforce_field('BillingCountry') }} as billing_country,
        {{ salesforce_field('Website') }} as website,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
