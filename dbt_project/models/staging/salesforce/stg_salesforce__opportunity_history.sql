with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

renamed as (

    select
        nullif(record ->> 'Id', '') as opportunity_history_id,
        nullif(record ->> 'OpportunityId', '') as opportunity_id,
        nullif(record ->> 'StageName', '') as stage_name,
        nullif(record ->> 'Amount', '')::numeric(18, 2) as amount,
        nullif(record ->> 'CloseDate', '')::date as close_date,
        nullif(record ->> 'Probability', '')::numeric as probability,
        nullif(record ->> 'CreatedById', '') as created_by_id,
        nullif(record ->> 'IsDeleted', '')::boolean as is_deleted,
        nullif(record ->> 'CreatedDate', '')::timestamptz as created_at,
        nullif(record ->> 'SystemModstamp', '')::timestamptz as system_modified_at,
        _partition_date as partition_date,
        _line as source_line,
        _batch_id as batch_id

    from source

)

select * from renamed
