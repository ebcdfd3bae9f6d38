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
        record #>> '{collected_traffic_source,dclid}' as collected_dclid,
        -- session-scoped last non-direct click (exports from 2024 on)
        coalesce(
            record #>> '{session_traffic_source_last_click,cross_channel_campaign,source}',
            record #>> '{session_traffic_source_last_click,manual_campaign,source}'
        ) as last_click_source,
        coalesce(
            record #>> '{session_traffic_source_last_click,cross_channel_campaign,medium}',
            record #>> '{session_traffic_source_last_click,manual_campaign,medium}'
        ) as last_click_medium,
        coalesce(
            record #>> '{session_traffic_source_last_click,cross_channel_campaign,campaign_name}',
            record #>> '{session_traffic_source_last_click,manual_campaign,campaign_name}',
            record #>> '{session_traffic_source_last_click,google_ads_campaign,campaign_name}'
        ) as last_click_campaign,
        -- what exports before mid-2023 carry: the event's own parameters
        {{ ga4_param('source') }} as param_source,
        {{ ga4_param('medium') }} as param_medium,
        {{ ga4_param('campaign') }} as param_campaign,
        {{ ga4_param('gclid') }} as param_gclid,
        {{ ga4_param('dclid') }} as param_dclid,
        record #>> '{traffic_source,source}' as user_first_source,
        record #>> '{traffic_source,medium}' as user_first_medium,
        record #>> '{traffic_source,name}' as user_first_campaign,
        record #>> '{device,category}' as device_category,
        record #>> '{device,web_info,browser}' as browser,
        record #>> '{geo,country}' as geo_country,
        record ->> 'stream_id' as stream_id,
        (record #>> '{ecommerce,purchase_revenue}')::numeric as purchase_revenue,
        (record #>> '{ecommerce,purchase_revenue_in_usd}')::numeric as purchase_revenue_in_usd,
        (record ->> 'event_value_in_usd')::numeric as event_value_in_usd,
        coalesce(
            {{ ga4_param('value', 'double_value') }},
            {{ ga4_param('value', 'int_value') }}
        )::numeric as value_param,
        -- the currency of the value parameter (ISO 4217), as the site sent it
        nullif(upper(btrim({{ ga4_param('currency') }})), '') as currency_param,
        {{ lineage_columns() }}

    from source

)

select * from renamed
