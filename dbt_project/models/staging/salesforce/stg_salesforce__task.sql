with

source as (

    select * from {{ source('salesforce', 'task') }}

),

renamed as (

    select
        {{ salesforce_field('Id') }} as task_id,
        {{ salesforce_field('WhoId') }} as who_id,
        {{ salesforce_field('WhatId') }} as what_id,
        {{ salesforce_field('OwnerId') }} as owner_id,
        {{ salesforce_field('Subject') }} as subject,
        {{ salesforce_field('Status') }} as task_status,
        {{ salesforce_field('TaskSubtype') }} as task_subtype,
        {{ salesforce_field('Type') }} as task_type,
        {{ salesforce_field('ActivityDate', 'date') }} as activity_date,
        {{ salesforce_field('CompletedDateTime', 'timestamptz') }} as completed_at,
        {{- salesforce_audit_columns() }}
        {{ lineage_columns() }}

    from source

)

select * from renamed
