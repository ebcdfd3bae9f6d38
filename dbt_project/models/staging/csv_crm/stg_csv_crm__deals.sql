with

source as (

    select * from {{ source('csv_crm', 'deals') }}

),

renamed as (

    select
        record #>> '{mapped,deal_id}' as deal_id,
        record #>> '{mapped,lead_id}' as lead_id,
        record #>> '{mapped,account_name}' as account_name,
        record #>> '{mapped,name}' as deal_name,
        record #>> '{mapped,owner}' as owner,
        (record #>> '{mapped,amount}')::numeric(18, 2) as amount,
        record #>> '{mapped,currency}' as currency_code,
        record #>> '{mapped,stage}' as stage,
        record #>> '{mapped,pipeline_stage}' as pipeline_stage,
        (record #>> '{mapped,created_at}')::timestamptz as created_at,
        (record #>> '{mapped,close_date}')::date as close_date,
        (record #>> '{mapped,closed_at}')::timestamptz as closed_at,
        record #>> '{mapped,lost_reason}' as lost_reason,
        (record #>> '{mapped,is_deleted}')::boolean as is_deleted,
        (record #>> '{mapped,deleted_at}')::timestamptz as deleted_at,
        {{ lineage_columns() }}

    from source

)

select * from renamed
