{#- Fails on every value of the column that the lead definition contract does not map
    (crm.<crm>.<field> in contracts/lead_definition.yml), with how many rows carry it: a CRM
    value the contract does not know would silently leave its records out of the stages. -#}
{% test mapped_by_contract(model, column_name, crm, field) %}
{%- set mapping = lead_definition()['crm'][crm][field] %}
select
    {{ column_name }} as unmapped_value,
    count(*) as records
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        {%- for value in mapping %}{{ sql_string(value) }}{{ ", " if not loop.last }}{% endfor -%}
    )
group by {{ column_name }}
{% endtest %}
