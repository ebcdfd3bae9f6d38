-- Ad performance per day, platform, account, campaign, group and ad: spend in the account
-- currency and in the reporting currency, clicks, impressions and platform conversions, with
-- the campaign's name as of the day and its current name.
with

ad_spend as (

    select * from {{ ref('int_ad_spend__unioned') }}

),

campaign_names as (

    select * from {{ ref('int_campaigns__names') }}

),

final as (

    select
        ad_spend.spend_date,
        ad_spend.platform,
        ad_spend.account_id,
        ad_spend.account_time_zone,
        ad_spend.campaign_id,
        campaign_names.campaign_name,
        campaign_names.campaign_name_current,
        ad_spend.group_id,
        ad_spend.group_name,
        ad_spend.ad_id,
        ad_spend.channel,
        ad_spend.account_currency,
        ad_spend.spend as spend_original,
        ad_spend.fx_rate,
        ad_spend.spend_reporting as spend,
        '{{ reporting_currency() }}'::text as currency,
        ad_spend.clicks,
        ad_spend.impressions,
        ad_spend.platform_conversions
    from ad_spend
    left join campaign_names
        on campaign_names.platform = ad_spend.platform
        and campaign_names.account_id = ad_spend.account_id
        and campaign_names.campaign_id = ad_spend.campaign_id
        and ad_spend.spend_date >= campaign_names.valid_from
        and ad_spend.spend_date < campaign_names.valid_to

)

select * from final
