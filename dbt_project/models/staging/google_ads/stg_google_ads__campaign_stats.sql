with

source as (

    select * from {{ source('google_ads', 'campaign_stats') }}

),

renamed as (

    select
        (record #>> '{segments,date}')::date as stat_date,
        record #>> '{customer,id}' as customer_id,
        record #>> '{customer,currency_code}' as currency_code,
        record #>> '{customer,time_zone}' as account_time_zone,
        record #>> '{campaign,id}' as campaign_id,
        record #>> '{campaign,name}' as campaign_name,
        record #>> '{campaign,advertising_channel_type}' as advertising_channel_type,
        ((record #>> '{metrics,cost_micros}')::bigint / 1000000.0)::numeric(18, 6) as cost,
        coalesce((record #>> '{metrics,clicks}')::bigint, 0) as clicks,
        coalesce((record #>> '{metrics,impressions}')::bigint, 0) as impressions,
        coalesce((record #>> '{metrics,conversions}')::numeric, 0) as conversions,
        {{ lineage_columns(loaded_at=true) }}

    from source

)

select * from renamed
