{#- The data end: the moment up to which the warehouse holds data, defined once. Runs load UTC
    days [00:00, 24:00) and the CRM's partitions are its UTC modification days, so the data end
    is the end of the newest UTC day of CRM records loaded (the CRM the var `crm` names):
    max(partition_date) + 1 day, 00:00 UTC. Nothing after it is known: a window ("within N
    hours/days") that ends after it is still open, *pending*, neither met nor missed
    (docs/metrics.md#completeness). A SQL scalar expression (timestamptz). -#}
{% macro data_end_at() -%}
    {%- set crm = var('crm', 'hubspot') -%}
    {%- set records = {'hubspot': 'stg_hubspot__contacts', 'salesforce': 'stg_salesforce__lead',
                       'csv_crm': 'stg_csv_crm__leads'}[crm] -%}
    (select ((max(partition_date) + 1)::timestamp at time zone 'UTC') from {{ ref(records) }})
{%- endmacro %}

{#- The status of a window of `hours` from `start` met by `met_at` (null: not yet): 'met' when
    met_at is within it, 'pending' when it is not (yet) met and ends after the data end,
    'missed' otherwise. -#}
{% macro window_status(start, met_at, hours) -%}
    case
        when {{ met_at }} <= {{ start }} + interval '{{ hours }} hours' then 'met'
        when {{ start }} + interval '{{ hours }} hours' > {{ data_end_at() }} then 'pending'
        else 'missed'
    end
{%- endmacro %}
