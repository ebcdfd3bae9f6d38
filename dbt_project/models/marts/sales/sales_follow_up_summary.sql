-- Speed to lead by owner (and their team) and first-touch channel: MQLs, how many sales first
-- touched within the contract's follow-up SLA (met), how many missed it, how many are pending
-- (window still open at the data end), the share met of the decided (met / (met + missed)),
-- the median hours to the first touch (of the MQLs touched) and the MQLs never touched (window
-- closed without a touch).
select
    owner_id,
    owner_name,
    team,
    first_touch_channel,
    count(*) as mqls,
    count(*) filter (where sla_status = 'met') as touched_within_sla,
    count(*) filter (where sla_status = 'missed') as sla_missed,
    count(*) filter (where sla_status = 'pending') as sla_pending,
    count(*) filter (where sla_status = 'met')::numeric
        / nullif(count(*) filter (where sla_status in ('met', 'missed')), 0) as share_within_sla,
    percentile_cont(0.5) within group (order by hours_to_first_touch::double precision)
        as median_hours_to_first_touch,
    count(*) filter (where not is_never_touched) as touched,
    count(*) filter (where is_never_touched) as never_touched,
    min(follow_up_sla_hours) as follow_up_sla_hours,
    {{ lead_definition_version() }} as lead_definition_version
from {{ ref('sales_follow_up') }}
group by owner_id, owner_name, team, first_touch_channel
