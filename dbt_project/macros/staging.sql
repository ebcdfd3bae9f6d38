{#- Columns every staging model repeats, renamed and cast in one place. -#}

{#- The lineage columns revwh.ingest.load writes on each raw row (the day partition, the line in the
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

{#- The segment, customer and campaign fields every Google Ads stats row (GAQL) carries. -#}
{% macro google_ads_campaign_columns() -%}
    (record #>> '{segments,date}')::date as stat_date,
        record #>> '{customer,id}' as customer_id,
        record #>> '{customer,currency_code}' as currency_code,
        record #>> '{customer,time_zone}' as account_time_zone,
        record #>> '{campaign,id}' as campaign_id,
        record #>> '{campaign,name}' as campaign_name,
        record #>> '{campaign,advertising_channel_type}' as advertising_channel_type
{%- endmacro %}

{#- The metrics of a Google Ads stats row: cost from micros, counts 0 when absent. -#}
{% macro google_ads_metric_columns() -%}
    ((record #>> '{metrics,cost_micros}')::bigint / 1000000.0)::numeric(18, 6) as cost,
        coalesce((record #>> '{metrics,clicks}')::bigint, 0) as clicks,
        coalesce((record #>> '{metrics,impressions}')::bigint, 0) as impressions,
        coalesce((record #>> '{metrics,conversions}')::numeric, 0) as conversions
{%- endmacro %}
