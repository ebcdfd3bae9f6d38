-- Speed to lead by owner (and their team) and first-touch channel: MQLs, how many sales first
-- touched within the contract's follow-up SLA, the share, the median hours to the first touch
-- (of the MQLs touched) and the MQLs never touched.
select
    owner_id,
    owner_name,
    team,
    first_touch_channel,
    count(*) as mqls,
    count(*) filter (where touched_within_sla) as touched_within_sla,
    count(*) filter (where touched_within_sla)::numeric / count(*) as share_within_sla,
    percentile_cont(0.5) within group (order by hours_to_first_touch::double precision)
        as median_hours_to_first_touch,
    count(*) filter (where not is_never_touched) as touched,
    count(*) filter (where is_never_touched) as never_touched,
    min(follow_up_sla_hours) as follow_up_sla_hours,
    {{ lead_definition_version() }} as lead_definition_version
from {{ ref('sales_follow_up') }}
group by owner_id, owner_name, team, first_touch_channel
