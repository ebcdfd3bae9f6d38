-- The lead records of the CRM this deployment reads (var `crm`, from
-- CRM=hubspot|salesforce|csv_crm), on one common model.
{%- set crm = var('crm', 'hubspot') %}

{%- if crm == 'hubspot' %}
select * from {{ ref('int_hubspot__lead_records') }}
{%- elif crm == 'salesforce' %}
select * from {{ ref('int_salesforce__lead_records') }}
{%- elif crm == 'csv_crm' %}
select * from {{ ref('int_csv_crm__lead_records') }}
{%- else %}
{{ exceptions.raise_compiler_error("the funnel reads CRM=hubspot, salesforce or csv_crm; got " ~ crm) }}
{%- endif %}
