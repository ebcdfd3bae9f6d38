{#- Columns every staging model repeats, renamed and cast in one place. -#}

{#- The lineage columns revwh.load writes on each raw row (the day partition, the line in the
    file, the load batch), under their staging names; loaded_at=true adds the load time. -#}
{% macro lineage_columns(relation=none, loaded_at=false) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}_partition_date as partition_date,
        {{ prefix }}_line as source_line,
        {{ prefix }}_batch_id as batch_id
    {%- if loaded_at %},
        {{ prefix }}_loaded_at as loaded_at
    {%- endif %}
{%- endmacro %}

{#- A Salesforce field as delivered by the Bulk API (every value a string, empty for null),
    cast to data_type when given. -#}
{% macro salesforce_field(field, data_type=none) -%}
    nullif(record ->> '{{ field }}', ''){{ '::' ~ data_type if data_type }}
{%- endmacro %}

{#- Salesforce's system audit fields, those of `fields` the object has, in this order:
    IsDeleted, CreatedDate, LastModifiedDate, SystemModstamp. -#}
{% macro salesforce_audit_columns(fields=['IsDeleted', 'CreatedDate', 'LastModifiedDate',
                                          'SystemModstamp']) -%}
    {%- set columns = {
        'IsDeleted': ('boolean', 'is_deleted'),
        'CreatedDate': ('timestamptz', 'created_at'),
        'LastModifiedDate': ('timestamptz', 'updated_at'),
        'SystemModstamp': ('timestamptz', 'system_modified_at'),
    } -%}
    {%- for field in ['IsDeleted', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp']
        if field in fields %}
        {{ salesforce_field(field, columns[field][0]) }} as {{ columns[field][1] }},
    {%- endfor %}
{%- endmacro %}

{#- A named field of a HubSpot form submission (`values` is a list of {name, value}), null
    when absent or empty. -#}
{% macro hubspot_form_field(name) -%}
    nullif(
            jsonb_path_query_first(record, '$.values[*] ? (@.name == "{{ name }}")') ->> 'value', ''
        )
{%- endmacro %}
