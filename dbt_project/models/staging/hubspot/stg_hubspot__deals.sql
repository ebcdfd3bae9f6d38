with

source as (

    select * from {{ source('hubspot', 'deals') }}

),

renamed as (

    select
        record ->> 'id' as deal_id,
        record #>> '{associations,contacts,results,0,id}' as contact_id,
        record #>> '{associations,companies,results,0,id}' as company_id,
        nullif(record #>> '{properties,dealname}', '') as deal_name,
        nullif(record #>> '{properties,amount}', '')::numeric(18, 2) as amount,
        nullif(record #>> '{properties,deal_currency_code}', '') as currency_code,
        record #>> '{properties,dealstage}' as deal_stage,
        nullif(record #>> '{properties,pipeline}', '') as pipeline,
        record -> 'propertiesWithHistory' -> 'dealstage' as deal_stage_history,
        nullif(record #>> '{properties,hs_is_closed}', '')::boolean as is_closed,
        nullif(record #>> '{properties,hs_is_closed_won}', '')::boolean as is_won,
        nullif(record #>> '{properties,hubspot_owner_id}', '') as owner_id,
        nullif(record #>> '{properties,closed_lost_reason}', '') as lost_reason,
        (record #>> '{properties,createdate}')::timestamptz as created_at,
        nullif(record #>> '{properties,closedate}', '')::timestamptz as closes_at,
        (record #>> '{properties,hs_lastmodifieddate}')::timestamptz as updated_at,
        -- archived (deleted) in HubSpot: listed with archived=true, archivedAt set
        coalesce((record ->> 'archived')::boolean, false)
            or nullif(record ->> 'archivedAt', '') is not null as is_archived,
        nullif(record ->> 'archivedAt', '')::timestamptz as archived_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
