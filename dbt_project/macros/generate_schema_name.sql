{#- Use each folder's schema name as it is (raw, staging, intermediate, audit, reference), not
    prefixed with the target schema: the warehouse has one fixed layout. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
