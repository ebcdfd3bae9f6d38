-- The current version of each HubSpot contact: the latest modification wins.
with

versions as (

    select * from {{ ref('stg_hubspot__contacts') }}

)

select distinct on (contact_id)
    *
from versions
order by contact_id, updated_at desc, partition_date desc, source_line desc
