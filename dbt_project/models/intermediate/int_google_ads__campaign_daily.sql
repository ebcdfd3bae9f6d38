-- One row per campaign and day: a later pull of the same day (a restatement) replaces earlier ones.
with

stats as (

    select * from {{ ref('stg_google_ads__campaign_stats') }}

),

latest as (

    select distinct on (stat_date, customer_id, campaign_id)
        *
    from stats
    order by stat_date, customer_id, campaign_id, partition_date desc, loaded_at desc

)

select
    stat_date,
    customer_id,
    campaign_id,
    campaign_name,
    currency_code,
    account_time_zone,
    case advertising_channel_type
        when 'SEARCH' then 'paid_search'
        when 'DISPLAY' then 'display'
        else 'other'
    end as channel,
    cost,
    clicks,
    impressions,
    conversions
from latest
