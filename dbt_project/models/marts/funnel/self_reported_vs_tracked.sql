-- "How did you hear about us?" against what was tracked: one row per person who answered, with
-- their answer, their tracked first-touch channel and whether the two agree. The contract's
-- self_reported_sources lists, for each answer, the tracked channels that agree with it; an
-- answer the contract does not list, or lists with no channels, never agrees.
{%- set answers = lead_definition().get('self_reported_sources') or {} %}

with

people as (

    select * from {{ ref('dim_people') }}
    where nullif(btrim(self_reported_source), '') is not null

),

contract_answers as (

    select
        null::text as answer,
        null::text[] as agreeing_channels
    where false
    {%- for answer, channels in answers.items() %}
    union all
    select
        {{ sql_string(answer) }},
        array[{% for channel in channels or [] %}{{ sql_string(channel) }}{{ ", " if not loop.last }}{% endfor %}]::text[]
    {%- endfor %}

)

select
    people.person_id,
    btrim(people.self_reported_source) as self_reported_source,
    people.first_touch_channel,
    people.first_touch_campaign,
    people.is_sales_created,
    date_trunc('week', people.inquiry_at at time zone 'UTC')::date as cohort_week,
    contract_answers.answer is not null as is_contract_answer,
    array_to_string(contract_answers.agreeing_channels, ', ') as agreeing_channels,
    coalesce(people.first_touch_channel = any(contract_answers.agreeing_channels), false)
        as agrees,
    {{ lead_definition_version() }} as lead_definition_version
from people
left join contract_answers
    on btrim(people.self_reported_source) = contract_answers.answer
