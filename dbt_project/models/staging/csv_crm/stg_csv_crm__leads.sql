with

source as (

    select * from {{ source('csv_crm', 'leads') }}

),

renamed as (

    select
        record #>> '{mapped,lead_id}' as lead_id,
        record #>> '{mapped,email}' as email,
        record #>> '{mapped,first_name}' as first_name,
        record #>> '{mapped,last_name}' as last_name,
        record #>> '{mapped,company}' as company_name,
        record #>> '{mapped,owner}' as owner,
        (record #>> '{mapped,created_at}')::timestamptz as created_at,
        (record #>> '{mapped,updated_at}')::timestamptz as updated_at,
        record #>> '{mapped,stage}' as stage,
        record #>> '{mapped,channel}' as channel,
        record #>> '{mapped,self_reported_source}' as self_reported_source,
        (record #>> '{mapped,score}')::integer as lead_score,
        record #>> '{mapped,rejection_reason}' as rejection_reason,
        record #>> '{mapped,converted_deal_id}' as converted_deal_id,
        (record #>> '{mapped,mql_at}')::timestamptz as mql_at,
        (record #>> '{mapped,sal_at}')::timestamptz as sal_at,
        (record #>> '{mapped,sql_at}')::timestamptz as sql_at,
        (record #>> '{mapped,disqualified_at}')::timestamptz as disqualified_at,
        record #>> '{mapped,ga_client_id}' as ga_client_id,
        (record #>> '{mapped,is_deleted}')::boolean as is_deleted,
        (record #>> '{mapped,deleted_at}')::timestamptz as deleted_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
