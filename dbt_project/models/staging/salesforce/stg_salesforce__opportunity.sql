with

source as (

    select * from {{ source('salesforce', 'opportunity') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as opportunity_id,
        {{ salesforce_field('AccountId') }} as account_id,
        {{ salesforce_field('Name') }} as opportunity_name,
        {{ salesforce_field('Amount', 'numeric(18, 2)') }} as amount,
        {{ salesforce_field('CurrencyIsoCode') }} as currency_code,
        {{ salesforce_field('StageName') }} as stage_name,
        {{ salesforce_field('Probability', 'numeric') }} as probability,
        {{ salesforce_field('CloseDate', 'date') }} as close_date,
        {{ salesforce_field('IsClosed', 'boolean') }} as is_closed,
        {{ salesforce_field('IsWon', 'boolean') }} as is_won,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{ salesforce_field('LeadSource') }} as lead_source,
        {{ salesforce_field('CampaignId') }} as campaign_id,
        {{ salesforce_field('Type') }} as opportunity_type,
        {{ salesforce_field('Loss_Reason__c') }} as lost_reason,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
