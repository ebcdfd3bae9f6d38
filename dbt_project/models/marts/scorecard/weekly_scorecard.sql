-- The weekly sales and marketing scorecard: one row per week (Monday, UTC), the headline
-- numbers both teams read, their week-over-week change and this week's target.
{%- set metrics = ['spend', 'sessions', 'leads', 'mqls', 'sqls', 'opportunities', 'pipeline',
                   'won_revenue', 'win_rate', 'cac', 'roas', 'speed_to_lead_hours',
                   'sla_compliance', 'mql_to_sql_rate'] %}

with

spend as (

    select date_trunc('week', spend_date)::date as week_start, sum(spend) as spend
    from {{ ref('ad_performance_daily') }}
    group by 1

),

sessions as (

    select date_trunc('week', session_date)::date as week_start, sum(sessions) as sessions
    from {{ ref('int_ga4__sessions_daily') }}
    where sessions > 0
    group by 1

),

people as (

    select * from {{ ref('dim_people') }}

),

stage_weeks as (

    select date_trunc('week', inquiry_at)::date as week_start, 'leads' as metric from people
    union all
    select date_trunc('week', mql_at)::date, 'mqls' from people where mql_at is not null
    union all
    select date_trunc('week', sql_at)::date, 'sqls' from people where sql_at is not null

),

stages as (

    select
        week_start,
        count(*) filter (where metric = 'leads') as leads,
        count(*) filter (where metric = 'mqls') as mqls,
        count(*) filter (where metric = 'sqls') as sqls
    from stage_weeks
    group by 1

),

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

created as (

    select
        date_trunc('week', created_at)::date as week_start,
        count(*) as opportunities,
        sum(amount_reporting) as pipeline,
        count(*) filter (where outcome = 'won') as cohort_won,
        count(*) filter (where outcome in ('won', 'lost')) as cohort_closed
    from opportunities
    group by 1

),

won as (

    select
        date_trunc('week', won_at)::date as week_start,
        count(*) as customers,
        sum(closed_revenue_reporting) as won_revenue
    from opportunities
    where won_at is not null
    group by 1

),

follow_up as (

    select
        date_trunc('week', mql_at)::date as week_start,
        percentile_cont(0.5) within group (order by hours_to_first_touch)
            as speed_to_lead_hours,
        avg(touched_within_sla::int) as sla_compliance
    from {{ ref('sales_follow_up') }}
    group by 1

),

weeks as (

    select week_start from spend
    union select week_start from sessions
    union select week_start from stages
    union select week_start from created
    union select week_start from won

),

measured as (

    select
        weeks.week_start,
        coalesce(spend.spend, 0)::numeric as spend,
        coalesce(sessions.sessions, 0)::numeric as sessions,
        coalesce(stages.leads, 0)::numeric as leads,
        coalesce(stages.mqls, 0)::numeric as mqls,
        coalesce(stages.sqls, 0)::numeric as sqls,
        coalesce(created.opportunities, 0)::numeric as opportunities,
        -- no opportunity: 0; opportunities without amounts (an export with none): unknown, null
        (case when created.week_start is null then 0 else created.pipeline end)::numeric
            as pipeline,
        (case when won.week_start is null then 0 else won.won_revenue end)::numeric
            as won_revenue,
        (created.cohort_won::numeric / nullif(created.cohort_closed, 0)) as win_rate,
        (spend.spend / nullif(won.customers, 0))::numeric as cac,
        (won.won_revenue / nullif(spend.spend, 0))::numeric as roas,
        follow_up.speed_to_lead_hours::numeric as speed_to_lead_hours,
        follow_up.sla_compliance::numeric as sla_compliance,
        (stages.sqls::numeric / nullif(stages.mqls, 0)) as mql_to_sql_rate
    from weeks
    left join spend using (week_start)
    left join sessions using (week_start)
    left join stages using (week_start)
    left join created using (week_start)
    left join won using (week_start)
    left join follow_up using (week_start)

),

targets as (

    select
        weeks.week_start,
        targets.metric,
        (array_agg(targets.weekly_target order by targets.effective_from desc))[1] as target
    from weeks
    inner join {{ ref('scorecard_targets') }} as targets
        on targets.effective_from <= weeks.week_start
    group by 1, 2

)

select
    measured.week_start,
    (measured.week_start + 6) as week_end,
    '{{ var("reporting_currency") }}'::text as currency,
    {%- for metric in metrics %}
    measured.{{ metric }},
    measured.{{ metric }} - lag(measured.{{ metric }}) over (order by measured.week_start)
        as {{ metric }}_wow_change,
    (select target from targets
     where targets.week_start = measured.week_start and targets.metric = '{{ metric }}')
        ::numeric as {{ metric }}_target,
    {%- endfor %}
    {{ lead_definition_version() }} as lead_definition_version
from measured
