with

source as (

    select * from {{ source('google_ads', 'campaign_history') }}

),

renamed as (

    select
        record #>> '{customer,id}' as customer_id,
        record #>> '{campaign,id}' as campaign_id,
        record #>> '{campaign,name}' as campaign_name,
        record #>> '{campaign,status}' as campaign_status,
        record #>> '{campaign,advertising_channel_type}' as advertising_channel_type,
        (record #>> '{campaign,start_date}')::date as campaign_start_date,
        ((record #>> '{campaign_budget,amount_micros}')::bigint / 1000000.0)::numeric(18, 6)
            as budget_amount,
        (record ->> 'change_date')::timestamp as changed_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
