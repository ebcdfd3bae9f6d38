-- How often people's answer to "how did you hear about us?" agrees with their tracked
-- first-touch channel, by tracked channel (the contract's self_reported_sources decides).
select
    first_touch_channel,
    count(*) as people_answered,
    count(*) filter (where agrees) as people_agreeing,
    count(*) filter (where agrees)::numeric / count(*) as agreement_rate,
    {{ lead_definition_version() }} as lead_definition_version
from {{ ref('self_reported_vs_tracked') }}
group by first_touch_channel
