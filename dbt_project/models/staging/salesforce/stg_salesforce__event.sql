with

source as (

    select * from {{ source('salesforce', 'event') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as event_id,
        {{ salesforce_field('WhoId') }} as who_id,
        {{ salesforce_field('WhatId') }} as what_id,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{ salesforce_field('Subject') }} as subject,
        {{ salesforce_field('Type') }} as event_type,
        {{ salesforce_field('StartDateTime', 'timestamptz') }} as started_at,
        {{ salesforce_field('EndDateTime', 'timestamptz') }} as ended_at,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
