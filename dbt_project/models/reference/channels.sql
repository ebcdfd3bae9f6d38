-- The channel taxonomy, from the lead definition contract.
{%- set channels = lead_definition()['channels'] %}

select
    channel,
    channel_group,
    description,
    {{ lead_definition_version() }} as lead_definition_version
from (
    values
    {%- for channel in channels %}
        ({{ sql_string(channel['key']) }}, {{ sql_string(channel['group']) }},
         {{ sql_string(channel.get('description', '')) }}){{ "," if not loop.last }}
    {%- endfor %}
) as taxonomy (channel, channel_group, description)
