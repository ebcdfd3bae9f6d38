{#- Map a CRM value onto the contract's targets: case <expr> when '<value>' then '<target>' ... -#}
{% macro contract_map(expression, mapping, default='null') -%}
    case {{ expression }}
    {%- for value, target in mapping.items() %}
        when {{ sql_string(value) }} then {{ sql_string(target) }}
    {%- endfor %}
        else {{ default }}
    end
{%- endmacro %}

{#- The position of a stage on the waterfall (inquiry 1 ... customer 6); null for others. -#}
{% macro stage_rank(expression) -%}
    case {{ expression }}
    {%- for stage in lead_definition()['stages'] %}
        when {{ sql_string(stage['key']) }} then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}

{#- The salted key of a person (no PII in the marts): md5 of the salt and the normalized email.
    The salt (var pii_salt) is a secret passed by revwh.transform.dbt_runner (REVWH_PII_SALT), never here. -#}
{% macro person_key(email_key) -%}
    md5({{ sql_string(var('pii_salt')) }} || {{ email_key }})
{%- endmacro %}

{#- The identity key: the email, normalized as the contract says (trim, lowercase). -#}
{% macro email_key(expression) -%}
    {%- set steps = lead_definition()['identity']['normalize'] -%}
    {%- set ns = namespace(sql=expression) -%}
    {%- for step in steps -%}
        {%- if step == 'trim' %}{% set ns.sql = 'btrim(' ~ ns.sql ~ ')' %}
        {%- elif step == 'lowercase' %}{% set ns.sql = 'lower(' ~ ns.sql ~ ')' %}
        {%- endif -%}
    {%- endfor -%}
    nullif({{ ns.sql }}, '')
{%- endmacro %}
