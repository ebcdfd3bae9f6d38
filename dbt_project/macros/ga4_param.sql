{#- The value of one GA4 event parameter from the nested event_params array. -#}
{% macro ga4_param(key, value_type='string_value') -%}
    (
        select
            {%- if value_type == 'int_value' %} (p -> 'value' ->> 'int_value')::bigint
            {%- elif value_type == 'double_value' %} coalesce(p -> 'value' ->> 'double_value', p -> 'value' ->> 'float_value')::double precision
            {%- else %} p -> 'value' ->> 'string_value'
            {%- endif %}
        from jsonb_array_elements(record -> 'event_params') as p
        where p ->> 'key' = '{{ key }}'
        limit 1
    )
{%- endmacro %}
