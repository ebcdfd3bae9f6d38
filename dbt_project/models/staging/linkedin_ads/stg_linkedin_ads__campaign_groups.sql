with

source as (

    select * from {{ source('linkedin_ads', 'campaign_groups') }}

),

renamed as (

    select
        record ->> 'id' as campaign_group_id,
        regexp_replace(record ->> 'account', '^.*:', '') as account_id,
        record ->> 'name' as campaign_group_name,
        record ->> 'status' as campaign_group_status,
        to_timestamp((record #>> '{changeAuditStamps,created,time}')::bigint / 1000.0)
            as created_at,
        to_timestamp((record #>> '{changeAuditStamps,lastModified,time}')::bigint / 1000.0)
            as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
