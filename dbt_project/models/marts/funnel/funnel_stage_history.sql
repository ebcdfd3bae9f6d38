-- One row per person and funnel stage they entered (the contract's stages, in order): when they
-- entered it and when they left it, i.e. entered their next stage (a stage they skipped, such as
-- MQL for a lead sales created, is not a row), or, for a person sales disqualified, the
-- disqualification. A person still in a stage has no exit. stage_order is the stage's position
-- on the contract's waterfall (reference.lead_stages): charts sort the stages by it. A person
-- with anomalies is kept as the data says and flagged (is_anomalous).
{%- set stages = lead_definition()['stages'] %}

with

people as (

    select * from {{ ref('dim_people') }}

),

entered as (

    select
        people.person_id,
        stage.stage,
        lead_stages.stage_order,
        stage.entered_at,
        people.disqualified_at,
        people.is_sales_created,
        people.first_touch_channel,
        people.first_touch_campaign,
        people.anomalies is not null as is_anomalous,
        date_trunc('week', people.inquiry_at at time zone 'UTC')::date as cohort_week
    from people
    cross join lateral (
        values
        {%- for stage in stages %}
            ({{ sql_string(stage['key']) }}, people.{{ stage['key'] }}_at)
            {{- "," if not loop.last }}
        {%- endfor %}
    ) as stage (stage, entered_at)
    -- the waterfall position is the contract's, as reference.lead_stages has it
    inner join {{ ref('lead_stages') }} as lead_stages
        on stage.stage = lead_stages.stage
    where stage.entered_at is not null

),

sequenced as (

    select
        *,
        lead(stage) over person_stages as next_stage,
        lead(entered_at) over person_stages as next_stage_at
    from entered
    window person_stages as (partition by person_id order by stage_order)

),

exits as (

    select
        *,
        case
            when next_stage is not null then next_stage
            when disqualified_at is not null then 'disqualified'
        end as exited_to,
        coalesce(next_stage_at, disqualified_at) as exited_at
    from sequenced

)

select
    person_id,
    stage,
    stage_order,
    entered_at,
    exited_at,
    exited_to,
    exited_at is null as is_current_stage,
    extract(epoch from exited_at - entered_at)::double precision / 86400 as days_in_stage,
    -- a person whose data cannot be right (dim_people.anomalies) is kept, flagged: their days in
    -- a stage can be negative (a deal won before the first contact)
    is_anomalous,
    cohort_week,
    first_touch_channel,
    first_touch_campaign,
    case when is_sales_created then 'sales' else 'marketing' end as segment,
    {{ lead_definition_version() }} as lead_definition_version
from exits
