-- The waterfall stages, in order, with the rule for each, from the lead definition contract.
{%- set stages = lead_definition()['stages'] %}

select
    stage,
    stage_order,
    stage_name,
    stage_rule,
    {{ lead_definition_version() }} as lead_definition_version
from (
    values
    {%- for stage in stages %}
        ({{ sql_string(stage['key']) }}, {{ loop.index }}, {{ sql_string(stage['name']) }},
         {{ sql_string(stage['rule'] | trim) }}){{ "," if not loop.last }}
    {%- endfor %}
) as stages (stage, stage_order, stage_name, stage_rule)
