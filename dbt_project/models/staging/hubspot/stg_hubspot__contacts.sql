with

source as (

    select * from {{ source('hubspot', 'contacts') }}

),

renamed as (

    select
        record ->> 'id' as contact_id,
        record #>> '{properties,email}' as email,
        record #>> '{properties,firstname}' as first_name,
        record #>> '{properties,lastname}' as last_name,
        record #>> '{properties,company}' as company_name,
        (record #>> '{properties,createdate}')::timestamptz as created_at,
        (record #>> '{properties,lastmodifieddate}')::timestamptz as updated_at,
        nullif(record #>> '{properties,lifecyclestage}', '') as lifecycle_stage,
        nullif(record #>> '{properties,hs_lead_status}', '') as lead_status,
        nullif(record #>> '{properties,hs_analytics_source}', '') as analytics_source,
        nullif(record #>> '{properties,hs_analytics_source_data_1}', '') as analytics_source_data_1,
        nullif(record #>> '{properties,hs_google_click_id}', '') as google_click_id,
        nullif(record #>> '{properties,hubspotscore}', '')::integer as lead_score,
        nullif(record #>> '{properties,lead_source}', '') as lead_source,
        nullif(record #>> '{properties,how_did_you_hear_about_us}', '') as self_reported_source,
        nullif(record #>> '{properties,hubspot_owner_id}', '') as owner_id,
        nullif(record #>> '{properties,ga_client_id}', '') as ga_client_id,
        nullif(record #>> '{properties,rejection_reason}', '') as rejection_reason,
        nullif(record #>> '{properties,hs_merged_object_ids}', '') as merged_object_ids,
        record #> '{propertiesWithHistory,lifecyclestage}' as lifecycle_stage_history,
        record #> '{propertiesWithHistory,hs_lead_status}' as lead_status_history,
        coalesce((record ->> 'archived')::boolean, false) as is_archived,
        {{ lineage_columns() }}

    from source

)

select * from renamed
