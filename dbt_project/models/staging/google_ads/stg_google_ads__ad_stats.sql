with

source as (

    select * from {{ source('google_ads', 'ad_stats') }}

),

renamed as (

    select
        {{ google_ads_campaign_columns() }},
        record #>> '{ad_group,id}' as ad_group_id,
        record #>> '{ad_group,name}' as ad_group_name,
        record #>> '{ad_group_ad,ad,id}' as ad_id,
        record #>> '{ad_group_ad,ad,type}' as ad_type,
        record #>> '{ad_group_ad,status}' as ad_status,
        {{ google_ads_metric_columns() }},
        {{ lineage_columns() }}

    from source

)

select * from renamed
