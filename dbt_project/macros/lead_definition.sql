{#- The lead definition contract (contracts/lead_definition.yml), passed by revwh.transform.dbt_runner as
    the var `lead_definition`. -#}
{% macro lead_definition() -%}
    {%- set definition = var('lead_definition', none) -%}
    {%- if definition is none -%}
        {{ exceptions.raise_compiler_error(
            "the var lead_definition is missing: run dbt through revwh (the revwh command"
            " or the DAG), which passes contracts/lead_definition.yml") }}
    {%- endif -%}
    {{ return(definition) }}
{%- endmacro %}

{#- The contract's version, as a SQL literal: every mart carries it. -#}
{% macro lead_definition_version() -%}
    '{{ lead_definition()['version'] }}'::text
{%- endmacro %}

{#- A SQL string literal. -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- True when the expression is one of the values (false for null): `expr = any(array[...])`. -#}
{% macro is_one_of(expression, values) -%}
    coalesce({{ expression }} = any(array[
        {%- for value in values -%}
            {{ sql_string(value) }}{{ ", " if not loop.last }}
        {%- endfor -%}
    ]::text[]), false)
{%- endmacro %}

{#- The reporting currency (the contract's `reporting.currency`): the one setting every amount in
    the marts is converted into, at the ECB rate of its day; the gate reads the same key. -#}
{% macro reporting_currency() -%}
    {{ return(lead_definition()['reporting']['currency']) }}
{%- endmacro %}

{#- The label of "no campaign" (the contract's `campaigns.no_campaign_label`), as a SQL literal:
    every mart that names a campaign writes it for a row without one. -#}
{% macro no_campaign() -%}
    {{ sql_string(lead_definition()['campaigns']['no_campaign_label']) }}::text
{%- endmacro %}
