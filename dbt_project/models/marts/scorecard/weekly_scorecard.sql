-- The weekly sales and marketing scorecard: one row per week (Monday, UTC), the headline
-- numbers both teams read, their week-over-week change and this week's target.
--
-- Complete weeks: a week is complete when its seven days all lie inside the data window
-- (intermediate.int_data_window); the week containing the data end (the newest day with data)
-- is the current, partial week (days_in_week < 7, is_complete_week false), as is a first week
-- the data starts in mid-week. A week-over-week change compares two complete, consecutive
-- weeks only: a partial week's change is null, as is the change of the first complete week
-- after a partial one, so a one-day week is never set against a full week.
--
-- Every ratio comes with its numerator and denominator as columns, so BI sums them over a
-- range: CAC = spend / deals_won, ROAS = won_revenue / spend, win_rate =
-- won_opportunities_created / closed_opportunities_created, sla_compliance = mqls_met_sla /
-- (mqls_met_sla + mqls_missed_sla), mql_to_sql_rate = sqls / mqls; the average (not the
-- median) hours to first touch = total_hours_to_first_touch / mqls_touched.
{%- set metrics = ['spend', 'sessions', 'leads', 'mqls', 'sqls', 'opportunities', 'pipeline',
                   'won_revenue', 'win_rate', 'cac', 'roas', 'speed_to_lead_hours',
                   'sla_compliance', 'mql_to_sql_rate'] %}
{#- the numerators and denominators of the ratios that are not headline numbers themselves #}
{%- set counts = ['deals_won', 'won_opportunities_created', 'closed_opportunities_created',
                  'mqls_met_sla', 'mqls_missed_sla', 'mqls_sla_pending', 'mqls_touched',
                  'total_hours_to_first_touch'] %}

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
        count(*) filter (where outcome = 'won') as won_opportunities_created,
        count(*) filter (where outcome in ('won', 'lost')) as closed_opportunities_created
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

data_window as (

    select * from {{ ref('int_data_window') }}

),

-- An MQL met the SLA when sales first touched it within the contract's hours; it is pending
-- while its window is still open at the end of the data end (not touched yet, and the hours
-- not over), and missed otherwise: pending MQLs are neither met nor missed.
follow_up as (

    select
        date_trunc('week', follow_up.mql_at)::date as week_start,
        percentile_cont(0.5) within group (order by follow_up.hours_to_first_touch)
            as speed_to_lead_hours,
        count(follow_up.hours_to_first_touch) as mqls_touched,
        sum(follow_up.hours_to_first_touch) as total_hours_to_first_touch,
        -- sales_follow_up.sla_status: pending while the window is open at the CRM's data end
        count(*) filter (where follow_up.sla_status = 'met') as mqls_met_sla,
        count(*) filter (where follow_up.sla_status = 'missed') as mqls_missed_sla,
        count(*) filter (where follow_up.sla_status = 'pending') as mqls_sla_pending
    from {{ ref('sales_follow_up') }} as follow_up
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
        (created.won_opportunities_created::numeric
            / nullif(created.closed_opportunities_created, 0)) as win_rate,
        (spend.spend / nullif(won.customers, 0))::numeric as cac,
        (won.won_revenue / nullif(spend.spend, 0))::numeric as roas,
        follow_up.speed_to_lead_hours::numeric as speed_to_lead_hours,
        (follow_up.mqls_met_sla::numeric
            / nullif(follow_up.mqls_met_sla + follow_up.mqls_missed_sla, 0)) as sla_compliance,
        (stages.sqls::numeric / nullif(stages.mqls, 0)) as mql_to_sql_rate,
        coalesce(won.customers, 0)::numeric as deals_won,
        coalesce(created.won_opportunities_created, 0)::numeric as won_opportunities_created,
        coalesce(created.closed_opportunities_created, 0)::numeric
            as closed_opportunities_created,
        coalesce(follow_up.mqls_met_sla, 0)::numeric as mqls_met_sla,
        coalesce(follow_up.mqls_missed_sla, 0)::numeric as mqls_missed_sla,
        coalesce(follow_up.mqls_sla_pending, 0)::numeric as mqls_sla_pending,
        coalesce(follow_up.mqls_touched, 0)::numeric as mqls_touched,
        coalesce(follow_up.total_hours_to_first_touch, 0)::numeric
            as total_hours_to_first_touch,
        {{ days_in_week('weeks.week_start', 'data_window') }} as days_in_week
    from weeks
    cross join data_window
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

),

weeks_compared as (

    select
        *,
        days_in_week = 7 as is_complete_week,
        -- the week before is complete and this one's predecessor (no week missing between)
        days_in_week = 7
        and lag(days_in_week) over (order by week_start) = 7
        and lag(week_start) over (order by week_start) = week_start - 7 as is_compared
    from measured

)

select
    measured.week_start,
    (measured.week_start + 6) as week_end,
    measured.days_in_week,
    measured.is_complete_week,
    '{{ reporting_currency() }}'::text as currency,
    {%- for metric in metrics %}
    measured.{{ metric }},
    case when measured.is_compared then
        measured.{{ metric }} - lag(measured.{{ metric }}) over (order by measured.week_start)
    end as {{ metric }}_wow_change,
    (select target from targets
     where targets.week_start = measured.week_start and targets.metric = '{{ metric }}')
        ::numeric as {{ metric }}_target,
    {%- endfor %}
    {%- for count in counts %}
    measured.{{ count }},
    {%- endfor %}
    {{ lead_definition_version() }} as lead_definition_version
from weeks_compared as measured
