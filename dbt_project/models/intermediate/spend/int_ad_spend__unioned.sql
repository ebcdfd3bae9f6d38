-- The three ad platforms unioned at the finest grain each delivers: one row per platform,
-- account, spend day, campaign, group and ad, with spend in the account currency and converted
-- into the reporting currency at that day's rate. spend_date is the platform's own day (the ad
-- account's day for Google and Meta, UTC for LinkedIn): platforms deliver no hours, so it is
-- not shifted into another time zone.
with

google_ads_stats as (

    select * from {{ ref('stg_google_ads__ad_stats') }}

),

meta_ads_insights as (

    select * from {{ ref('stg_meta_ads__ads_insights') }}

),

meta_ads_accounts as (

    select * from {{ ref('stg_meta_ads__accounts') }}

),

meta_ads_adsets as (

    select * from {{ ref('stg_meta_ads__adsets') }}

),

linkedin_ads_analytics as (

    select * from {{ ref('stg_linkedin_ads__ad_analytics') }}

),

linkedin_ads_creatives as (

    select * from {{ ref('stg_linkedin_ads__creatives') }}

),

linkedin_ads_campaigns as (

    select * from {{ ref('stg_linkedin_ads__campaigns') }}

),

linkedin_ads_accounts as (

    select * from {{ ref('stg_linkedin_ads__accounts') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates__daily') }}

),

-- the latest version of each dimension row (accounts are daily snapshots, the others a row
-- per version delivered)
meta_accounts_latest as (

    select distinct on (account_id) *
    from meta_ads_accounts
    order by account_id, partition_date desc, source_line desc

),

meta_adsets_latest as (

    select distinct on (adset_id) *
    from meta_ads_adsets
    order by adset_id, updated_at desc, partition_date desc, source_line desc

),

linkedin_creatives_latest as (

    select distinct on (creative_id) *
    from linkedin_ads_creatives
    order by creative_id, updated_at desc, partition_date desc, source_line desc

),

linkedin_campaigns_latest as (

    select distinct on (campaign_id) *
    from linkedin_ads_campaigns
    order by campaign_id, updated_at desc, partition_date desc, source_line desc

),

linkedin_accounts_latest as (

    select distinct on (account_id) *
    from linkedin_ads_accounts
    order by account_id, partition_date desc, source_line desc

),

google_ads as (

    select
        'google_ads'::text as platform,
        customer_id as account_id,
        currency_code as account_currency,
        account_time_zone,
        stat_date as spend_date,
        campaign_id,
        ad_group_id as group_id,
        ad_group_name as group_name,
        ad_id,
        case advertising_channel_type
            when 'SEARCH' then 'paid_search'
            when 'DISPLAY' then 'display'
            else 'other'
        end as channel,
        cost as spend,
        clicks,
        impressions,
        conversions as platform_conversions
    from google_ads_stats

),

meta_ads as (

    select
        'meta_ads'::text as platform,
        meta_ads_insights.account_id,
        meta_accounts_latest.currency_code as account_currency,
        meta_accounts_latest.account_time_zone,
        meta_ads_insights.stat_date as spend_date,
        meta_ads_insights.campaign_id,
        meta_ads_insights.adset_id as group_id,
        meta_adsets_latest.adset_name as group_name,
        meta_ads_insights.ad_id,
        'paid_social'::text as channel,
        meta_ads_insights.spend,
        meta_ads_insights.clicks,
        meta_ads_insights.impressions,
        -- Meta reports every website lead twice (`lead` and the pixel's
        -- `offsite_conversion.fb_pixel_lead`): count it once
        meta_ads_insights.leads as platform_conversions
    from meta_ads_insights
    left join meta_accounts_latest
        on meta_accounts_latest.account_id = meta_ads_insights.account_id
    left join meta_adsets_latest
        on meta_adsets_latest.adset_id = meta_ads_insights.adset_id

),

linkedin_ads as (

    -- adAnalytics rows carry neither account nor currency: creative -> campaign -> account
    select
        'linkedin_ads'::text as platform,
        linkedin_campaigns_latest.account_id,
        linkedin_accounts_latest.currency_code as account_currency,
        'UTC'::text as account_time_zone,
        linkedin_ads_analytics.stat_date as spend_date,
        linkedin_campaigns_latest.campaign_group_id as campaign_id,
        linkedin_creatives_latest.campaign_id as group_id,
        linkedin_campaigns_latest.campaign_name as group_name,
        linkedin_ads_analytics.creative_id as ad_id,
        'paid_social'::text as channel,
        linkedin_ads_analytics.cost as spend,
        linkedin_ads_analytics.clicks,
        linkedin_ads_analytics.impressions,
        linkedin_ads_analytics.external_website_conversions
        + linkedin_ads_analytics.one_click_leads as platform_conversions
    from linkedin_ads_analytics
    left join linkedin_creatives_latest
        on linkedin_creatives_latest.creative_id = linkedin_ads_analytics.creative_id
    left join linkedin_campaigns_latest
        on linkedin_campaigns_latest.campaign_id = linkedin_creatives_latest.campaign_id
    left join linkedin_accounts_latest
        on linkedin_accounts_latest.account_id = linkedin_campaigns_latest.account_id

),

unioned as (

    select * from google_ads
    union all
    select * from meta_ads
    union all
    select * from linkedin_ads

),

converted as (

    select
        unioned.platform,
        unioned.account_id,
        unioned.account_currency,
        unioned.account_time_zone,
        unioned.spend_date,
        unioned.campaign_id,
        unioned.group_id,
        unioned.group_name,
        unioned.ad_id,
        unioned.channel,
        unioned.spend,
        unioned.clicks,
        unioned.impressions,
        unioned.platform_conversions,
        fx_rates.rate_to_reporting as fx_rate,
        unioned.spend / fx_rates.rate_per_eur * fx_rates.reporting_rate_per_eur
            as spend_reporting
    from unioned
    left join fx_rates
        on fx_rates.date_day = unioned.spend_date
        and fx_rates.currency_code = unioned.account_currency

)

select * from converted
