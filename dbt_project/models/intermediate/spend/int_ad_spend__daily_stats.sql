{{
    config(
        materialized='incremental',
        incremental_strategy='window',
        window_day_column='spend_date',
        on_schema_change='fail',
        indexes=[{'columns': ['spend_date']}],
    )
}}
-- The three ad platforms' daily delivery rows as delivered, one row per platform, spend day and
-- ad: the ids and measures on the row, and the attributes only Google's rows carry (account
-- currency and time zone, ad group name, campaign type). int_ad_spend__unioned adds what comes
-- from the platforms' account and object snapshots (latest versions, so never stored here) and
-- the FX conversion.
--
-- Incremental (macros/incremental.sql): a run deletes and rebuilds the window's spend days; a
-- day's stats, restated pulls included, land in that day's partition (the grain test of
-- int_ad_spend__unioned checks it), so the window's partitions hold all of them.
{%- if is_incremental() %}
    {%- set first_day = incremental_window_first_day(this, 'spend_date') %}
{%- endif %}
with

{%- set in_window -%}
    {%- if is_incremental() %}
    where partition_date >= {{ first_day }}
        and stat_date >= {{ first_day }}
    {%- endif %}
{%- endset %}

google_ads as (

    select
        'google_ads'::text as platform,
        stat_date as spend_date,
        customer_id as account_id,
        currency_code as account_currency,
        account_time_zone,
        campaign_id,
        ad_group_id as group_id,
        ad_group_name as group_name,
        ad_id,
        advertising_channel_type as campaign_type,
        cost as spend,
        clicks,
        impressions,
        conversions as platform_conversions
    from {{ ref('stg_google_ads__ad_stats') }}
    {{- in_window }}

),

meta_ads as (

    select
        'meta_ads'::text as platform,
        stat_date as spend_date,
        account_id,
        null::text as account_currency,
        null::text as account_time_zone,
        campaign_id,
        adset_id as group_id,
        null::text as group_name,
        ad_id,
        null::text as campaign_type,
        spend,
        clicks,
        impressions,
        -- Meta reports every website lead twice (`lead` and the pixel's
        -- `offsite_conversion.fb_pixel_lead`): count it once
        leads as platform_conversions
    from {{ ref('stg_meta_ads__ads_insights') }}
    {{- in_window }}

),

linkedin_ads as (

    -- adAnalytics rows carry only the creative: account, campaign group and campaign come
    -- from the creative's objects
    select
        'linkedin_ads'::text as platform,
        stat_date as spend_date,
        null::text as account_id,
        null::text as account_currency,
        null::text as account_time_zone,
        null::text as campaign_id,
        null::text as group_id,
        null::text as group_name,
        creative_id as ad_id,
        null::text as campaign_type,
        cost as spend,
        clicks,
        impressions,
        external_website_conversions + one_click_leads as platform_conversions
    from {{ ref('stg_linkedin_ads__ad_analytics') }}
    {{- in_window }}

)

select * from google_ads
union all
select * from meta_ads
union all
select * from linkedin_ads
