with

source as (

    select * from {{ source('hubspot', 'engagements') }}

),

renamed as (

    select
        record #>> '{engagement,id}' as engagement_id,
        record #>> '{engagement,type}' as engagement_type,
        to_timestamp((record #>> '{engagement,timestamp}')::bigint / 1000.0) as engagement_at,
        to_timestamp((record #>> '{engagement,createdAt}')::bigint / 1000.0) as created_at,
        record #>> '{engagement,ownerId}' as owner_id,
        record #>> '{associations,contactIds,0}' as contact_id,
        record #>> '{associations,companyIds,0}' as company_id,
        record #>> '{associations,dealIds,0}' as deal_id,
        record #>> '{metadata,status}' as engagement_status,
        record #>> '{metadata,subject}' as subject,
        coalesce((record #>> '{engagement,active}')::boolean, true) as is_active,
        {{ lineage_columns() }}

    from source

)

select * from renamed
