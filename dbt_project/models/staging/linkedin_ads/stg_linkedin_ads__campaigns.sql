with

source as (

    select * from {{ source('linkedin_ads', 'campaigns') }}

),

renamed as (

    select
        record ->> 'id' as campaign_id,
        regexp_replace(record ->> 'account', '^.*:', '') as account_id,
        regexp_replace(record ->> 'campaignGroup', '^.*:', '') as campaign_group_id,
        record ->> 'name' as campaign_name,
        record ->> 'status' as campaign_status,
        record ->> 'type' as campaign_type,
        record ->> 'costType' as cost_type,
        (record #>> '{dailyBudget,amount}')::numeric(18, 2) as daily_budget,
        record #>> '{dailyBudget,currencyCode}' as daily_budget_currency_code,
        to_timestamp((record #>> '{changeAuditStamps,created,time}')::bigint / 1000.0)
            as created_at,
        to_timestamp((record #>> '{changeAuditStamps,lastModified,time}')::bigint / 1000.0)
            as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
