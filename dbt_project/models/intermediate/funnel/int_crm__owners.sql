-- The sales users (record owners) of the CRM this deployment reads (var `crm`), on one common
-- model: each owner's latest snapshot, with their name and team. HubSpot: owners with their
-- primary team; Salesforce: users with their department as the team; a CSV CRM: the owner
-- names its records carry.
{%- set crm = var('crm', 'hubspot') %}

{%- if crm == 'hubspot' %}

with

owners as (

    select distinct on (owner_id) *
    from {{ ref('stg_hubspot__owners') }}
    order by owner_id, partition_date desc, updated_at desc, source_line desc

)

select
    'hubspot' as crm,
    owner_id,
    nullif(concat_ws(' ', first_name, last_name), '') as owner_name,
    primary_team_name as team,
    not is_archived as is_active
from owners

{%- elif crm == 'salesforce' %}

with

users as (

    select distinct on (user_id) *
    from {{ ref('stg_salesforce__user') }}
    order by user_id, system_modified_at desc, partition_date desc, source_line desc

)

select
    'salesforce' as crm,
    user_id as owner_id,
    full_name as owner_name,
    department as team,
    coalesce(is_active, true) as is_active
from users

{%- elif crm == 'csv_crm' %}

-- a CSV export names owners only on its records: each name is an owner (no team)
select distinct
    'csv_crm' as crm,
    owner as owner_id,
    owner as owner_name,
    null::text as team,
    true as is_active
from (
    select owner from {{ ref('stg_csv_crm__leads') }}
    union
    select owner from {{ ref('stg_csv_crm__deals') }}
) as owners
where owner is not null

{%- else %}
{{ exceptions.raise_compiler_error(
    "the funnel reads CRM=hubspot, salesforce or csv_crm; got " ~ crm) }}
{%- endif %}
