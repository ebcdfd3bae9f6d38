-- Funnel conversion by weekly inquiry cohort, first-touch channel and campaign, and segment
-- (leads marketing generated vs leads sales created): the people of the cohort who entered
-- each stage, the conversion between consecutive stages, and the median days between them.
-- Cohort counts: a person counts in their cohort's row for every stage they have entered so far.
-- The cohort week containing the data end (intermediate.int_data_window) is partial
-- (is_complete_week false, days_in_week its days so far): its cohort is still arriving.
{%- set stages = lead_definition()['stages'] %}

with

data_window as (

    select * from {{ ref('int_data_window') }}

),

cohort_people as (

    select
        date_trunc('week', inquiry_at at time zone 'UTC')::date as cohort_week,
        first_touch_channel,
        coalesce(first_touch_campaign, {{ no_campaign() }}) as first_touch_campaign,
        case when is_sales_created then 'sales' else 'marketing' end as segment,
        {%- for stage in stages %}
        {{ stage['key'] }}_at{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('dim_people') }}

),

people as (

    select
        cohort_people.*,
        {{ days_in_week('cohort_people.cohort_week', 'data_window') }} as days_in_week
    from cohort_people
    cross join data_window

)

select
    cohort_week,
    first_touch_channel,
    first_touch_campaign,
    segment,
    days_in_week,
    days_in_week = 7 as is_complete_week,
    {%- for stage in stages %}
    count({{ stage['key'] }}_at) as {{ stage['key'] }}_people,
    {%- endfor %}
    {%- for stage in stages[1:] %}
        {%- set previous = stages[loop.index0]['key'] %}
    count({{ stage['key'] }}_at)::numeric / nullif(count({{ previous }}_at), 0)
        as {{ previous }}_to_{{ stage['key'] }}_rate,
    {%- endfor %}
    {%- for stage in stages[1:] %}
        {%- set previous = stages[loop.index0]['key'] %}
    percentile_cont(0.5) within group (
        order by extract(epoch from {{ stage['key'] }}_at - {{ previous }}_at)::double precision / 86400
    ) as {{ previous }}_to_{{ stage['key'] }}_median_days,
    {%- endfor %}
    {{ lead_definition_version() }} as lead_definition_version
from people
group by cohort_week, first_touch_channel, first_touch_campaign, segment, days_in_week
