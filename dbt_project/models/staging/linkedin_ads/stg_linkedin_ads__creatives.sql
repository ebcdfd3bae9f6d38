with

source as (

    select * from {{ source('linkedin_ads', 'creatives') }}

),

renamed as (

    select
        regexp_replace(record ->> 'id', '^.*:', '') as creative_id,
        regexp_replace(record ->> 'campaign', '^.*:', '') as campaign_id,
        record ->> 'name' as creative_name,
        record ->> 'intendedStatus' as intended_status,
        to_timestamp((record ->> 'createdAt')::bigint / 1000.0) as created_at,
        to_timestamp((record ->> 'lastModifiedAt')::bigint / 1000.0) as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
