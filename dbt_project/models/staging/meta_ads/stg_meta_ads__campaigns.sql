with

source as (

    select * from {{ source('meta_ads', 'campaigns') }}

),

renamed as (

    select
        record ->> 'id' as campaign_id,
        record ->> 'account_id' as account_id,
        record ->> 'name' as campaign_name,
        record ->> 'objective' as objective,
        record ->> 'status' as campaign_status,
        (record ->> 'created_time')::timestamptz as created_at,
        (record ->> 'updated_time')::timestamptz as updated_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
