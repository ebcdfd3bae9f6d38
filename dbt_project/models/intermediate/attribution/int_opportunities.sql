-- One row per opportunity (CRM deal) of a counted person: the person's key, the amount in the
-- deal's currency and in the reporting currency (at the rate of the opportunity's UTC creation
-- day), when it was created, its outcome and the revenue it closed (its amount, if won).
-- Counted people are those dim_people counts: records the contract does not exclude, of people
-- with at least one record that still exists in the CRM. Several records of one person can
-- carry the same deal: it is one opportunity.
{%- set currency = reporting_currency() %}

with

records as (

    select * from {{ ref('int_people__records') }}
    where exclusion_reason is null

),

fx_rates as (

    select * from {{ ref('int_fx_rates__daily') }}

),

people as (

    select
        identity_key,
        min(created_at) as inquiry_at
    from records
    group by identity_key
    having not bool_and(is_deleted)

),

deals as (

    select distinct on (records.deal_id)
        records.deal_id,
        records.identity_key,
        records.crm,
        records.record_id,
        records.deal_amount,
        records.deal_currency,
        records.opportunity_at,
        records.deal_outcome,
        records.won_at,
        records.lost_reason
    from records
    where records.deal_id is not null
    order by records.deal_id, records.is_deleted, records.created_at, records.record_id

),

converted as (

    select
        deals.*,
        people.inquiry_at as person_inquiry_at,
        case
            when deals.deal_currency = '{{ currency }}' then 1::numeric
            else fx_rates.rate_to_reporting
        end as fx_rate
    from deals
    inner join people on deals.identity_key = people.identity_key
    left join fx_rates
        on fx_rates.currency_code = deals.deal_currency
        and fx_rates.date_day = (deals.opportunity_at at time zone 'UTC')::date

),

final as (

    select
        deal_id as opportunity_id,
        {{ person_key('identity_key') }} as person_id,
        crm,
        record_id as crm_record_id,
        person_inquiry_at,
        opportunity_at as created_at,
        deal_outcome as outcome,
        won_at,
        lost_reason,
        deal_amount as amount,
        deal_currency as currency_code,
        '{{ currency }}'::text as reporting_currency,
        fx_rate,
        deal_amount * fx_rate as amount_reporting,
        case when deal_outcome = 'won' then deal_amount * fx_rate else 0 end
            as closed_revenue_reporting
    from converted

)

select * from final
