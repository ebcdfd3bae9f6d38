-- The first-order Markov chain over channels: one row per state and next state with the
-- transition probability, counted over every journey (int_attribution__markov_journeys) as
-- start -> channel -> ... -> channel -> conversion (a journey that reached an opportunity) or
-- null (one that has not). Repeats of a channel in a row are counted once: a self-loop changes
-- no absorption probability (from a state with self-loop probability p the chain leaves to j with
-- p_ij / (1 - p), exactly the probability without the loop), so leaving them out gives the same
-- chain with faster convergence.
with

journeys as (

    select * from {{ ref('int_attribution__markov_journeys') }}

),

steps as (

    select
        journeys.journey_id,
        journeys.is_converted,
        path.channel,
        path.step
    from journeys
    cross join lateral unnest(journeys.channel_path) with ordinality as path (channel, step)

),

collapsed as (

    -- a channel repeated in a row is one visit to its state
    select
        journey_id,
        is_converted,
        channel,
        row_number() over (partition by journey_id order by step) as step
    from (
        select
            *,
            lag(channel) over (partition by journey_id order by step) as previous_channel
        from steps
    ) as with_previous
    where previous_channel is distinct from channel

),

bounded as (

    select journey_id, 0::bigint as step, '(start)' as state from journeys
    union all
    select journey_id, step, channel as state from collapsed
    union all
    select
        journeys.journey_id,
        max_steps.steps + 1 as step,
        case when journeys.is_converted then '(conversion)' else '(null)' end as state
    from journeys
    inner join (
        select journey_id, max(step) as steps from collapsed group by journey_id
    ) as max_steps on journeys.journey_id = max_steps.journey_id

),

transitions as (

    select
        state as from_state,
        lead(state) over (partition by journey_id order by step) as to_state
    from bounded

),

counted as (

    select
        from_state,
        to_state,
        count(*) as transitions
    from transitions
    where to_state is not null
    group by from_state, to_state

)

select
    from_state,
    to_state,
    transitions,
    transitions::double precision
        / sum(transitions) over (partition by from_state) as probability
from counted
