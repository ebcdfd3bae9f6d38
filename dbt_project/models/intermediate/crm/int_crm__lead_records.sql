-- The lead records of the CRM this deployment reads (var `crm`, from CRM=hubspot|salesforce),
-- on one common model.
{%- set crm = var('crm', 'hubspot') %}

{%- if crm == 'hubspot' %}
select * from {{ ref('int_hubspot__lead_records') }}
{%- elif crm == 'salesforce' %}
select * from {{ ref('int_salesforce__lead_records') }}
{%- else %}
{{ exceptions.raise_compiler_error("the funnel reads CRM=hubspot or salesforce; got " ~ crm) }}
{%- endif %}
