with

source as (

    select * from {{ source('linkedin_ads', 'ad_analytics') }}

),

renamed as (

    select
        make_date(
            (record #>> '{dateRange,start,year}')::integer,
            (record #>> '{dateRange,start,month}')::integer,
            (record #>> '{dateRange,start,day}')::integer
        ) as stat_date,
        regexp_replace(record #>> '{pivotValues,0}', '^.*:', '') as creative_id,
        coalesce((record ->> 'impressions')::bigint, 0) as impressions,
        coalesce((record ->> 'clicks')::bigint, 0) as clicks,
        coalesce((record ->> 'landingPageClicks')::bigint, 0) as landing_page_clicks,
        (record ->> 'costInLocalCurrency')::numeric(18, 2) as cost,
        (record ->> 'costInUsd')::numeric(18, 2) as cost_usd,
        coalesce((record ->> 'externalWebsiteConversions')::numeric, 0)
            as external_website_conversions,
        coalesce((record ->> 'oneClickLeads')::bigint, 0) as one_click_leads,
        {{ lineage_columns() }}

    from source

)

select * from renamed
