with

source as (

    select * from {{ source('google_ads', 'campaign_stats') }}

),

renamed as (

    select
        {{ google_ads_campaign_columns() }},
        {{ google_ads_metric_columns() }},
        {{ lineage_columns(loaded_at=true) }}

    from source

)

select * from renamed
