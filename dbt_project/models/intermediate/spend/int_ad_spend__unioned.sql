-- The three ad platforms unioned at the finest grain each delivers: one row per platform,
-- account, spend day, campaign, group and ad, with spend in the account currency and converted
-- into the reporting currency at that day's rate. spend_date is the platform's own day (the ad
-- account's day for Google and Meta, UTC for LinkedIn): platforms deliver no hours, so it is
-- not shifted into another time zone. The delivery rows come from the incremental
-- int_ad_spend__daily_stats; the attributes from the platforms' latest object versions and the
-- rates are joined here, on every run, so a changed attribute applies to every day.
with

daily_stats as (

    select * from {{ ref('int_ad_spend__daily_stats') }}

),

meta_ads_accounts as (

    select * from {{ ref('stg_meta_ads__accounts') }}

),

meta_ads_adsets as (

    select * from {{ ref('stg_meta_ads__adsets') }}

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
        platform,
        account_id,
        account_currency,
        account_time_zone,
        spend_date,
        campaign_id,
        group_id,
        group_name,
        ad_id,
        case campaign_type
            when 'SEARCH' then 'paid_search'
            when 'DISPLAY' then 'display'
            else 'other'
        end as channel,
        spend,
        clicks,
        impressions,
        platform_conversions
    from daily_stats
    where platform = 'google_ads'

),

meta_ads as (

    select
        meta_ads_stats.platform,
        meta_ads_stats.account_id,
        meta_accounts_latest.currency_code as account_currency,
        meta_accounts_latest.account_time_zone,
        meta_ads_stats.spend_date,
        meta_ads_stats.campaign_id,
        meta_ads_stats.group_id,
        meta_adsets_latest.adset_name as group_name,
        meta_ads_stats.ad_id,
        'paid_social'::text as channel,
        meta_ads_stats.spend,
        meta_ads_stats.clicks,
        meta_ads_stats.impressions,
        meta_ads_stats.platform_conversions
    from daily_stats as meta_ads_stats
    left join meta_accounts_latest
        on meta_accounts_latest.account_id = meta_ads_stats.account_id
    left join meta_adsets_latest
        on meta_adsets_latest.adset_id = meta_ads_stats.group_id
    where meta_ads_stats.platform = 'meta_ads'

),

linkedin_ads as (

    -- adAnalytics rows carry neither account nor currency: creative -> campaign -> account
    select
        linkedin_ads_stats.platform,
        linkedin_campaigns_latest.account_id,
        linkedin_accounts_latest.currency_code as account_currency,
        'UTC'::text as account_time_zone,
        linkedin_ads_stats.spend_date,
        linkedin_campaigns_latest.campaign_group_id as campaign_id,
        linkedin_creatives_latest.campaign_id as group_id,
        linkedin_campaigns_latest.campaign_name as group_name,
        linkedin_ads_stats.ad_id,
        'paid_social'::text as channel,
        linkedin_ads_stats.spend,
        linkedin_ads_stats.clicks,
        linkedin_ads_stats.impressions,
        linkedin_ads_stats.platform_conversions
    from daily_stats as linkedin_ads_stats
    left join linkedin_creatives_latest
        on linkedin_creatives_latest.creative_id = linkedin_ads_stats.ad_id
    left join linkedin_campaigns_latest
        on linkedin_campaigns_latest.campaign_id = linkedin_creatives_latest.campaign_id
    left join linkedin_accounts_latest
        on linkedin_accounts_latest.account_id = linkedin_campaigns_latest.account_id
    where linkedin_ads_stats.platform = 'linkedin_ads'

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
