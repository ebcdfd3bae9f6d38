with

source as (

    select * from {{ source('ga4', 'events') }}

),

renamed as (

    select
        to_date(record ->> 'event_date', 'YYYYMMDD') as event_date,
        to_timestamp((record ->> 'event_timestamp')::bigint / 1000000.0) as event_at,
        record ->> 'event_name' as event_name,
        record ->> 'user_pseudo_id' as user_pseudo_id,
        record ->> 'user_id' as user_id,
        {{ ga4_param('ga_session_id', 'int_value') }} as ga_session_id,
        {{ ga4_param('ga_session_number', 'int_value') }} as ga_session_number,
        {{ ga4_param('page_location') }} as page_location,
        {{ ga4_param('page_referrer') }} as page_referrer,
        {{ ga4_param('form_id') }} as form_id,
        record #>> '{collected_traffic_source,manual_source}' as collected_source,
        record #>> '{collected_traffic_source,manual_medium}' as collected_medium,
        record #>> '{collected_traffic_source,manual_campaign_name}' as collected_campaign,
        record #>> '{collected_traffic_source,gclid}' as collected_gclid,
        record #>> '{traffic_source,source}' as user_first_source,
        record #>> '{traffic_source,medium}' as user_first_medium,
        record #>> '{traffic_source,name}' as user_first_campaign,
        record #>> '{device,category}' as device_category,
        record #>> '{device,web_info,browser}' as browser,
        record #>> '{geo,country}' as geo_country,
        record ->> 'stream_id' as stream_id,
        {{ lineage_columns() }}

    from source

)

select * from renamed
