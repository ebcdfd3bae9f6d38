-- Campaign names over time, per platform and campaign: one row per name a campaign carried,
-- with the days it applies to ([valid_from, valid_to)) and the campaign's current name. A
-- change applies from the day it was made (in the ad account's day, like spend_date) on; the
-- first known name also covers any earlier day.
with

google_ads_campaign_history as (

    select * from {{ ref('stg_google_ads__campaign_history') }}

),

meta_ads_campaigns as (

    select * from {{ ref('stg_meta_ads__campaigns') }}

),

meta_ads_accounts as (

    select * from {{ ref('stg_meta_ads__accounts') }}

),

linkedin_ads_campaign_groups as (

    select * from {{ ref('stg_linkedin_ads__campaign_groups') }}

),

meta_accounts_latest as (

    select distinct on (account_id) *
    from meta_ads_accounts
    order by account_id, partition_date desc, source_line desc

),

google_ads_versions as (

    -- change_date is already the ad account's local time
    select
        'google_ads'::text as platform,
        customer_id as account_id,
        campaign_id,
        campaign_name,
        changed_at,
        changed_at::date as changed_on,
        partition_date,
        source_line
    from google_ads_campaign_history

),

meta_ads_versions as (

    select
        'meta_ads'::text as platform,
        meta_ads_campaigns.account_id,
        meta_ads_campaigns.campaign_id,
        meta_ads_campaigns.campaign_name,
        meta_ads_campaigns.updated_at
            at time zone coalesce(meta_accounts_latest.account_time_zone, 'UTC') as changed_at,
        (meta_ads_campaigns.updated_at
            at time zone coalesce(meta_accounts_latest.account_time_zone, 'UTC'))::date
            as changed_on,
        meta_ads_campaigns.partition_date,
        meta_ads_campaigns.source_line
    from meta_ads_campaigns
    left join meta_accounts_latest
        on meta_accounts_latest.account_id = meta_ads_campaigns.account_id

),

linkedin_ads_versions as (

    -- LinkedIn's campaign level is the campaign group (its campaigns are the ad-group level);
    -- its days are UTC days
    select
        'linkedin_ads'::text as platform,
        account_id,
        campaign_group_id as campaign_id,
        campaign_group_name as campaign_name,
        updated_at at time zone 'UTC' as changed_at,
        (updated_at at time zone 'UTC')::date as changed_on,
        partition_date,
        source_line
    from linkedin_ads_campaign_groups

),

versions as (

    select * from google_ads_versions
    union all
    select * from meta_ads_versions
    union all
    select * from linkedin_ads_versions

),

last_of_day as (

    -- the name a campaign had at the end of each day it changed (a version delivered again in
    -- a later file counts once: the newest file wins)
    select distinct on (platform, account_id, campaign_id, changed_on)
        platform,
        account_id,
        campaign_id,
        campaign_name,
        changed_on
    from versions
    order by
        platform, account_id, campaign_id, changed_on,
        changed_at desc, partition_date desc, source_line desc

),

name_changes as (

    -- only the days the name actually changed (status or budget changes keep the name)
    select *
    from (
        select
            *,
            lag(campaign_name) over (
                partition by platform, account_id, campaign_id order by changed_on
            ) as previous_name
        from last_of_day
    ) as compared
    where previous_name is null or previous_name <> campaign_name

),

final as (

    select
        platform,
        account_id,
        campaign_id,
        campaign_name,
        changed_on,
        case
            when row_number() over (
                partition by platform, account_id, campaign_id order by changed_on
            ) = 1 then '-infinity'::date
            else changed_on
        end as valid_from,
        coalesce(
            lead(changed_on) over (
                partition by platform, account_id, campaign_id order by changed_on
            ),
            'infinity'::date
        ) as valid_to,
        last_value(campaign_name) over (
            partition by platform, account_id, campaign_id order by changed_on
            rows between unbounded preceding and unbounded following
        ) as campaign_name_current
    from name_changes

)

select
    *,
    valid_to = 'infinity'::date as is_current
from final
