-- One row per journey the Markov model learns from: each opportunity's touches up to its
-- creation (a journey that converted), and the touches of every counted person who has not
-- reached an opportunity (a journey that has not: the null state). A person with no touch at
-- all has no journey (the chain would go start -> null directly, which scales every conversion
-- probability alike and leaves the removal effects unchanged).
with

opportunity_touches as (

    select * from {{ ref('int_attribution__touches') }}

),

opportunities as (

    select * from {{ ref('int_opportunities') }}

),

touchpoints as (

    select * from {{ ref('int_people__touchpoints') }}

),

records as (

    select * from {{ ref('int_people__records') }}
    where exclusion_reason is null

),

counted_people as (

    -- as dim_people: at least one of the person's records still exists in the CRM
    select {{ person_key('identity_key') }} as person_id
    from records
    group by identity_key
    having not bool_and(is_deleted)

),

converting as (

    select
        opportunity_id as journey_id,
        'opportunity' as journey_type,
        person_id,
        true as is_converted,
        array_agg(channel order by touch_position) as channel_path,
        count(*) as touches
    from opportunity_touches
    group by opportunity_id, person_id

),

not_converting as (

    select
        touchpoints.person_id as journey_id,
        'no_opportunity' as journey_type,
        touchpoints.person_id,
        false as is_converted,
        array_agg(touchpoints.channel order by touchpoints.touch_number) as channel_path,
        count(*) as touches
    from touchpoints
    inner join counted_people on touchpoints.person_id = counted_people.person_id
    where not exists (
        select 1 from opportunities where opportunities.person_id = touchpoints.person_id
    )
    group by touchpoints.person_id

)

select * from converting
union all
select * from not_converting
