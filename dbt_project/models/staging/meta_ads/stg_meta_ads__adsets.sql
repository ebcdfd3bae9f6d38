with

source as (

    select * from {{ source('meta_ads', 'adsets') }}

),

renamed as (

    select
        record ->> 'id' as adset_id,
        record ->> 'account_id' as account_id,
        record ->> 'campaign_id' as campaign_id,
        record ->> 'name' as adset_name,
        record ->> 'status' as adset_status,
        (record ->> 'daily_budget')::bigint as daily_budget_minor_units,
        (record ->> 'created_time')::timestamptz as created_at,
        (record ->> 'updated_time')::timestamptz as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
