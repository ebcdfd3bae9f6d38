with

source as (

    select * from {{ source('salesforce', 'campaign') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as campaign_id,
        {{ salesforce_field('ParentId') }} as parent_campaign_id,
        {{ salesforce_field('Name') }} as campaign_name,
        {{ salesforce_field('Type') }} as campaign_type,
        {{ salesforce_field('Status') }} as campaign_status,
        {{ salesforce_field('StartDate', 'date') }} as start_date,
        {{ salesforce_field('EndDate', 'date') }} as end_date,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
