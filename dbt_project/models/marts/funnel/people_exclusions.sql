-- Who is not counted, and why: per reason, the CRM records the contract excludes and the people
-- (identity keys) left out of dim_people for it, so nothing is excluded silently. A person is
-- excluded when every record of theirs is (the first of their reasons in the contract's
-- order: test, internal, spam, competitor, no email), deleted when every
-- record of theirs that counts was deleted in the CRM. The gate reconciles these counts with the
-- raw CRM (revwh.gate.reconciliation_suites: raw people = dim_people + excluded + deleted).
-- Deleted deals are counted here too ('deleted deal'): the deals of counted people whose latest
-- version was deleted in the CRM, so no opportunity, pipeline or revenue; their people stay
-- counted (people 0).
{%- set reasons = [
    ('test', 'Test records (the contract\'s test email patterns)'),
    ('internal', 'Our own colleagues (internal domains)'),
    ('spam', 'Spam (spam domains or names)'),
    ('competitor', 'Competitors (their domains)'),
    ('no email', 'No email, and the contract has no identity fallback'),
    ('deleted', 'Every counted record of the person was deleted in the CRM'),
    ('deleted deal', 'Deals deleted in the CRM (no opportunity, pipeline or revenue); their people stay counted'),
] %}

with

records as (

    select * from {{ ref('int_people__records') }}

),

people as (

    select
        identity_key,
        bool_and(exclusion_reason is not null) as is_excluded,
        -- one reason per person: the first in the contract's order among their records'
        (array_agg(exclusion_reason order by array_position(
            array['test', 'internal', 'spam', 'competitor', 'no email']::text[],
            exclusion_reason)))[1] as first_reason,
        coalesce(bool_and(is_deleted) filter (where exclusion_reason is null), false)
            as is_deleted,
        count(*) filter (where exclusion_reason is null) as counted_records
    from records
    where identity_key is not null
    group by identity_key

),

reasons as (

    select * from (values
    {%- for key, description in reasons %}
        ({{ sql_string(key) }}, {{ sql_string(description) }}, {{ loop.index }})
        {{- "," if not loop.last }}
    {%- endfor %}
    ) as reasons (exclusion_reason, description, sort_order)

),

excluded_records as (

    select exclusion_reason, count(*) as records
    from records
    where exclusion_reason is not null
    group by exclusion_reason

),

deleted_deals as (

    -- the deleted deals of the records dim_people counts (a deal is counted once)
    select 'deleted deal'::text as exclusion_reason, count(distinct deleted.deal_id) as records
    from records
    inner join people on records.identity_key = people.identity_key
    cross join lateral unnest(records.deleted_deal_ids) as deleted (deal_id)
    where records.exclusion_reason is null and not people.is_excluded
        and not people.is_deleted

),

excluded_people as (

    select
        case when is_excluded then first_reason else 'deleted' end as exclusion_reason,
        count(*) as people,
        sum(counted_records) as counted_records
    from people
    where is_excluded or is_deleted
    group by 1

)

select
    {{ sql_string(var('crm', 'hubspot')) }}::text as crm,
    reasons.exclusion_reason,
    reasons.description,
    case
        when reasons.exclusion_reason = 'deleted'
            then coalesce(excluded_people.counted_records, 0)
        when reasons.exclusion_reason = 'deleted deal' then coalesce(deleted_deals.records, 0)
        else coalesce(excluded_records.records, 0)
    end::bigint as records,
    coalesce(excluded_people.people, 0)::bigint as people,
    reasons.sort_order,
    {{ lead_definition_version() }} as lead_definition_version
from reasons
left join excluded_records on reasons.exclusion_reason = excluded_records.exclusion_reason
left join excluded_people on reasons.exclusion_reason = excluded_people.exclusion_reason
left join deleted_deals on reasons.exclusion_reason = deleted_deals.exclusion_reason
