-- The lead records of the CRM this deployment reads (var `crm`: hubspot or salesforce), on one
-- common model.
{%- set crm = var('crm', 'hubspot') %}

{%- if crm == 'hubspot' %}
select * from {{ ref('int_hubspot__lead_records') }}
{%- else %}
{{ exceptions.raise_compiler_error("the funnel reads CRM=hubspot so far; got " ~ crm) }}
{%- endif %}
