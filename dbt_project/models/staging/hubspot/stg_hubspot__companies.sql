with

source as (

    select * from {{ source('hubspot', 'companies') }}

),

renamed as (

    select
        record ->> 'id' as company_id,
        nullif(record #>> '{properties,name}', '') as company_name,
        nullif(record #>> '{properties,domain}', '') as domain,
        nullif(record #>> '{properties,industry}', '') as industry,
        nullif(record #>> '{properties,numberofemployees}', '')::integer as employee_count,
        (record #>> '{properties,createdate}')::timestamptz as created_at,
        (record #>> '{properties,hs_lastmodifieddate}')::timestamptz as updated_at,
        coalesce((record ->> 'archived')::boolean, false) as is_archived,
        {{ lineage_columns() }}

    from source

)

select * from renamed
