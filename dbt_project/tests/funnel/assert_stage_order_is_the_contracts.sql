-- The marts that list funnel stages carry the contract's waterfall order: every stage of
-- funnel_stage_history has the stage_order reference.lead_stages (the lead definition contract)
-- gives it. Fails on each stage whose order differs.
select history.stage, history.stage_order, lead_stages.stage_order as contract_stage_order
from (select distinct stage, stage_order from {{ ref('funnel_stage_history') }}) as history
left join {{ ref('lead_stages') }} as lead_stages
    on history.stage = lead_stages.stage
where lead_stages.stage_order is distinct from history.stage_order
