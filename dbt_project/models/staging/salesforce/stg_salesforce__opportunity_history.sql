with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as opportunity_history_id,
        {{ salesforce_field('OpportunityId') }} as opportunity_id,
        {{ salesforce_field('StageName') }} as stage_name,
        {{ salesforce_field('Amount', 'numeric(18, 2)') }} as amount,
        {{ salesforce_field('CloseDate', 'date') }} as close_date,
        {{ salesforce_field('Probability', 'numeric') }} as probability,
        {{ salesforce_field('CreatedById') }} as created_by_id,
        {{- salesforce_audit_columns(['IsDeleted', 'CreatedDate', 'SystemModstamp']) }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
