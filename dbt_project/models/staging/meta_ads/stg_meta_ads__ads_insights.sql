{#- The lead actions of the row: Meta reports each website lead twice, under `lead` and under
    the pixel's own `offsite_conversion.fb_pixel_lead`; `value` is the default attribution
    (7-day click + 1-day view). -#}
{%- set lead = '$.actions[*] ? (@.action_type == "lead")' -%}
{%- set pixel_lead = '$.actions[*] ? (@.action_type == "offsite_conversion.fb_pixel_lead")' -%}

with

source as (

    select * from {{ source('meta_ads', 'ads_insights') }}

),

renamed as (

    select
        (record ->> 'date_start')::date as stat_date,
        record ->> 'account_id' as account_id,
        record ->> 'account_currency' as currency_code,
        record ->> 'campaign_id' as campaign_id,
        record ->> 'adset_id' as adset_id,
        record ->> 'ad_id' as ad_id,
        (record ->> 'spend')::numeric(18, 2) as spend,
        coalesce((record ->> 'impressions')::bigint, 0) as impressions,
        coalesce((record ->> 'clicks')::bigint, 0) as clicks,
        coalesce((record ->> 'inline_link_clicks')::bigint, 0) as inline_link_clicks,
        record -> 'actions' as actions,
        coalesce((jsonb_path_query_first(record, '{{ lead }}') ->> 'value')::numeric, 0)
            as leads,
        coalesce((jsonb_path_query_first(record, '{{ lead }}') ->> '7d_click')::numeric, 0)
            as leads_7d_click,
        coalesce((jsonb_path_query_first(record, '{{ lead }}') ->> '1d_view')::numeric, 0)
            as leads_1d_view,
        coalesce((jsonb_path_query_first(record, '{{ pixel_lead }}') ->> 'value')::numeric, 0)
            as pixel_leads,
        coalesce((jsonb_path_query_first(record, '{{ pixel_lead }}') ->> '7d_click')::numeric, 0)
            as pixel_leads_7d_click,
        coalesce((jsonb_path_query_first(record, '{{ pixel_lead }}') ->> '1d_view')::numeric, 0)
            as pixel_leads_1d_view,
        {{ lineage_columns() }}

    from source

)

select * from renamed
