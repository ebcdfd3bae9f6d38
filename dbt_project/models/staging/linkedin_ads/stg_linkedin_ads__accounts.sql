with

source as (

    select * from {{ source('linkedin_ads', 'accounts') }}

),

renamed as (

    select
        record ->> 'id' as account_id,
        record ->> 'name' as account_name,
        record ->> 'currency' as currency_code,
        record ->> 'status' as account_status,
        record ->> 'type' as account_type,
        record ->> 'reference' as reference_urn,
        {{ lineage_columns() }}

    from source

)

select * from renamed
