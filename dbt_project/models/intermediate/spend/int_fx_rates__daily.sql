-- One row per calendar day and currency with the rate that converts an amount in that currency
-- into the reporting currency. The ECB publishes euro rates on business days only: a weekend or
-- holiday takes the last published rate (forward fill over a calendar spine). Cross rate:
-- amount_in_reporting = amount / per_eur(currency) * per_eur(reporting).
{%- set currency = reporting_currency() %}

with

ecb_rates as (

    select * from {{ ref('stg_ecb__fx_rates') }}

),

daily_stats as (

    select * from {{ ref('int_ad_spend__daily_stats') }}

),

ga4_conversions as (

    select * from {{ ref('int_ga4__conversions') }}

),

published as (

    -- one rate per publication day and currency: a weekend file repeats Friday's publication,
    -- and should two files disagree on a day's rate, the newest landed file wins
    select distinct on (rate_date, currency_code)
        rate_date,
        currency_code,
        rate_per_eur
    from ecb_rates
    order by rate_date, currency_code, partition_date desc, source_line desc

),

published_with_euro as (

    select rate_date, currency_code, rate_per_eur from published
    union all
    -- the euro is the base of the file: 1 per euro on every publication day
    select distinct rate_date, 'EUR' as currency_code, 1::numeric as rate_per_eur from published

),


bounds as (

    -- from the first publication to the last, and on to the last spend day or web
    -- conversion day if they run past the last publication (a weekend: those days carry the
    -- last rate forward)
    select
        min(rate_date) as first_day,
        greatest(
            max(rate_date),
            (select max(spend_date) from daily_stats),
            (select max(event_date) from ga4_conversions)
        ) as last_day
    from published

),

calendar as (

    select generate_series(first_day, last_day, interval '1 day')::date as date_day
    from bounds

),

currencies as (

    select distinct currency_code from published_with_euro

),

spine as (

    select
        calendar.date_day,
        currencies.currency_code
    from calendar
    cross join currencies

),

grouped as (

    -- each publication starts a group; the days after it (until the next) fall in its group
    select
        spine.date_day,
        spine.currency_code,
        published_with_euro.rate_date,
        published_with_euro.rate_per_eur,
        count(published_with_euro.rate_date) over (
            partition by spine.currency_code order by spine.date_day
        ) as publication_group
    from spine
    left join published_with_euro
        on published_with_euro.rate_date = spine.date_day
        and published_with_euro.currency_code = spine.currency_code

),

filled as (

    select
        date_day,
        currency_code,
        first_value(rate_date) over (
            partition by currency_code, publication_group order by date_day
        ) as rate_date,
        first_value(rate_per_eur) over (
            partition by currency_code, publication_group order by date_day
        ) as rate_per_eur
    from grouped

),

reporting as (

    select
        date_day,
        rate_per_eur as reporting_rate_per_eur
    from filled
    where currency_code = '{{ currency }}'

),

final as (

    select
        filled.date_day,
        filled.currency_code,
        '{{ currency }}'::text as reporting_currency,
        filled.rate_date,
        filled.rate_date <> filled.date_day as is_forward_filled,
        filled.rate_per_eur,
        reporting.reporting_rate_per_eur,
        reporting.reporting_rate_per_eur / filled.rate_per_eur as rate_to_reporting
    from filled
    inner join reporting
        on reporting.date_day = filled.date_day
    -- a currency first published after the spine starts has no rate before that
    where filled.rate_per_eur is not null
        and reporting.reporting_rate_per_eur is not null

)

select * from final
