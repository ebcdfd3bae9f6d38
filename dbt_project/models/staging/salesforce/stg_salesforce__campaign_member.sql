with

source as (

    select * from {{ source('salesforce', 'campaign_member') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as campaign_member_id,
        {{ salesforce_field('CampaignId') }} as campaign_id,
        {{ salesforce_field('LeadId') }} as lead_id,
        {{ salesforce_field('ContactId') }} as contact_id,
        {{ salesforce_field('Status') }} as member_status,
        {{ salesforce_field('HasResponded', 'boolean') }} as has_responded,
        {{ salesforce_field('FirstRespondedDate', 'date') }} as first_responded_date,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
