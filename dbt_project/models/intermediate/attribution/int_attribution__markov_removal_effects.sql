-- One row per channel on any journey with its Markov removal effect: the share of conversions
-- the chain (int_attribution__markov_transitions) loses when the channel is removed, i.e.
-- 1 - P(conversion without the channel) / P(conversion).
--
-- Method. P(conversion) is the probability that the chain, started in (start), is absorbed in
-- (conversion). For the chain as learnt (scenario '(none)') and for each channel removed (every
-- transition into the channel goes to (null) instead), the transition matrix P gets the two
-- absorbing states as self-loops ((conversion) -> (conversion) and (null) -> (null), 1) and is
-- squared 24 times: P^(2^k)[(start), (conversion)] is the probability of being absorbed in
-- (conversion) within 2^k steps, which increases to the absorption probability. Convergence:
-- every channel state reaches an absorbing state (each journey ends in one), so the mass still
-- in channel states after n steps decays geometrically, like rho^n with rho < 1 the spectral
-- radius of the channel-to-channel block; after 2^24 (about 17 million) steps it is far below
-- double precision for any chain learnt from real journeys. The mass not yet absorbed is kept per
-- scenario (unabsorbed_probability) and tested to be below 1e-9. Squaring a stochastic matrix
-- has no cancellation (all terms are non-negative), so the result is accurate to double
-- precision; entries below 1e-100 are dropped after each squaring (PostgreSQL raises an error
-- when a product underflows), which moves no probability by a representable amount. The same absorption probabilities solve the linear system a = Q a + r; the
-- ground-truth tests check against that exact solution.
{%- set squarings = 24 %}

with

transitions as (

    select * from {{ ref('int_attribution__markov_transitions') }}

),

channels as (

    select distinct from_state as channel
    from transitions
    where from_state not in ('(start)', '(conversion)', '(null)')

),

scenarios as (

    select '(none)' as removed_channel
    union all
    select channel from channels

),

step_0 as (

    -- the one-step matrix of each scenario: transitions into the removed channel go to (null);
    -- its own row is unreachable and left out
    select
        scenarios.removed_channel,
        transitions.from_state,
        case
            when transitions.to_state = scenarios.removed_channel then '(null)'
            else transitions.to_state
        end as to_state,
        sum(transitions.probability) as probability
    from scenarios
    cross join transitions
    where transitions.from_state <> scenarios.removed_channel
    group by 1, 2, 3

    union all

    select
        scenarios.removed_channel,
        absorbing.state as from_state,
        absorbing.state as to_state,
        1::double precision as probability
    from scenarios
    cross join (values ('(conversion)'), ('(null)')) as absorbing (state)

),

{%- for k in range(1, squarings + 1) %}

step_{{ k }} as (

    -- P^(2^{{ k }}) = P^(2^{{ k - 1 }}) x P^(2^{{ k - 1 }})
    select
        a.removed_channel,
        a.from_state,
        b.to_state,
        sum(a.probability * b.probability) as probability
    from step_{{ k - 1 }} as a
    inner join step_{{ k - 1 }} as b
        on a.removed_channel = b.removed_channel
        and a.to_state = b.from_state
    group by 1, 2, 3
    -- mass this small is dropped: PostgreSQL raises an error on a product that underflows
    -- double precision, and the dropped mass (below 1e-100 per entry) changes no digit
    having sum(a.probability * b.probability) >= 1e-100

),
{%- endfor %}

absorbed as (

    select
        removed_channel,
        coalesce(sum(probability) filter (where to_state = '(conversion)'), 0)
            as conversion_probability,
        1 - coalesce(sum(probability) filter (where to_state in ('(conversion)', '(null)')), 0)
            as unabsorbed_probability
    from step_{{ squarings }}
    where from_state = '(start)'
    group by removed_channel

),

journeys as (

    select
        path.channel,
        count(distinct journeys.journey_id) as journeys,
        count(distinct journeys.journey_id) filter (where journeys.is_converted)
            as converting_journeys
    from {{ ref('int_attribution__markov_journeys') }} as journeys
    cross join lateral unnest(journeys.channel_path) as path (channel)
    group by path.channel

),

final as (

    select
        channels.channel,
        journeys.journeys,
        journeys.converting_journeys,
        baseline.conversion_probability,
        removed.conversion_probability as conversion_probability_without_channel,
        -- removing a channel can only take conversions away: clamp the rounding of the last bit
        case
            when baseline.conversion_probability > 0
                then greatest(0, least(1,
                    1 - removed.conversion_probability / baseline.conversion_probability))
        end as removal_effect,
        greatest(baseline.unabsorbed_probability, removed.unabsorbed_probability)
            as unabsorbed_probability
    from channels
    inner join absorbed as removed on channels.channel = removed.removed_channel
    cross join (select * from absorbed where removed_channel = '(none)') as baseline
    left join journeys on channels.channel = journeys.channel

)

select * from final
