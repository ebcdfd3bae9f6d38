with

source as (

    select * from {{ source('meta_ads', 'ads') }}

),

renamed as (

    select
        record ->> 'id' as ad_id,
        record ->> 'account_id' as account_id,
        record ->> 'campaign_id' as campaign_id,
        record ->> 'adset_id' as adset_id,
        record ->> 'name' as ad_name,
        record ->> 'status' as ad_status,
        record ->> 'url_tags' as url_tags,
        (record ->> 'created_time')::timestamptz as created_at,
        (record ->> 'updated_time')::timestamptz as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
