-- The confusion table of self-reported answers against tracked first-touch channels: people per
-- answer and channel, and whether that answer agrees with that channel under the contract.
select
    self_reported_source,
    first_touch_channel,
    count(*) as people,
    bool_and(agrees) as agrees,
    {{ lead_definition_version() }} as lead_definition_version
from {{ ref('self_reported_vs_tracked') }}
group by self_reported_source, first_touch_channel
