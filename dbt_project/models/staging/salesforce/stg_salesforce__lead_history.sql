with

source as (

    select * from {{ source('salesforce', 'lead_history') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as lead_history_id,
        {{ salesforce_field('LeadId') }} as lead_id,
        {{ salesforce_field('Field') }} as field_name,
        {{ salesforce_field('OldValue') }} as old_value,
        {{ salesforce_field('NewValue') }} as new_value,
        {{ salesforce_field('CreatedById') }} as created_by_id,
        {{- salesforce_audit_columns(['IsDeleted', 'CreatedDate']) }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
