with

source as (

    select * from {{ source('meta_ads', 'accounts') }}

),

renamed as (

    select
        record ->> 'account_id' as account_id,
        record ->> 'id' as account_node_id,
        record ->> 'name' as account_name,
        record ->> 'currency' as currency_code,
        record ->> 'timezone_name' as account_time_zone,
        (record ->> 'timezone_offset_hours_utc')::numeric as utc_offset_hours,
        {{ lineage_columns() }}

    from source

)

select * from renamed
