-- Speed to lead: every MQL, who owns it, when sales first touched it (a call, email or meeting)
-- and whether that was within the contract's follow-up SLA: sla_status 'met', 'missed', or
-- 'pending' when the SLA window ends after the data end (macro data_end_at(): the end of the
-- newest UTC day of CRM data loaded) and the MQL is not touched yet, neither met nor missed.
-- A never-touched MQL is one whose window has closed without a touch. A touch before the lead
-- became an MQL counts as touched in time (negative hours).
{%- set sla_hours = lead_definition()['follow_up_sla_hours'] %}

with

mqls as (

    select * from {{ ref('dim_people') }}
    where mql_at is not null

),

owners as (

    select * from {{ ref('int_crm__owners') }}

),

timed as (

    select
        mqls.person_id,
        mqls.crm,
        mqls.owner_id,
        owners.owner_name,
        owners.team,
        mqls.first_touch_channel,
        mqls.first_touch_campaign,
        mqls.is_sales_created,
        mqls.mql_at,
        mqls.first_sales_touch_at,
        extract(epoch from mqls.first_sales_touch_at - mqls.mql_at) / 3600.0
            as hours_to_first_touch
    from mqls
    left join owners
        on mqls.crm = owners.crm
        and mqls.owner_id = owners.owner_id

)

select
    person_id,
    crm,
    owner_id,
    owner_name,
    team,
    first_touch_channel,
    first_touch_campaign,
    mql_at,
    date_trunc('week', mql_at at time zone 'UTC')::date as mql_week,
    first_sales_touch_at,
    hours_to_first_touch,
    {{ sla_hours }} as follow_up_sla_hours,
    mql_at + interval '{{ sla_hours }} hours' as sla_window_ends_at,
    {{ window_status('mql_at', 'first_sales_touch_at', sla_hours) }} as sla_status,
    -- null while pending: neither met nor missed
    case {{ window_status('mql_at', 'first_sales_touch_at', sla_hours) }}
        when 'met' then true when 'missed' then false
    end as touched_within_sla,
    first_sales_touch_at is null
        and {{ window_status('mql_at', 'first_sales_touch_at', sla_hours) }} = 'missed'
        as is_never_touched,
    {{ lead_definition_version() }} as lead_definition_version
from timed
