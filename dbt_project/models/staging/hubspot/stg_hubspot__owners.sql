with

source as (

    select * from {{ source('hubspot', 'owners') }}

),

renamed as (

    select
        record ->> 'id' as owner_id,
        record ->> 'email' as email,
        record ->> 'firstName' as first_name,
        record ->> 'lastName' as last_name,
        record ->> 'userId' as user_id,
        jsonb_path_query_first(record, '$.teams[*] ? (@.primary == true)') ->> 'name'
            as primary_team_name,
        (record ->> 'createdAt')::timestamptz as created_at,
        (record ->> 'updatedAt')::timestamptz as updated_at,
        coalesce((record ->> 'archived')::boolean, false) as is_archived,
        {{ lineage_columns() }}

    from source

)

select * from renamed
