{%- set fingerprint = ['definition_md5', ga4_conversions_fingerprint()] %}
{{
    config(
        materialized='incremental',
        incremental_strategy='window',
        window_day_column='partition_date',
        window_fingerprint=fingerprint,
        on_schema_change='fail',
        indexes=[
            {'columns': ['partition_date']},
            {'columns': ['event_date']},
        ],
    )
}}
-- The GA4 events the contract counts as conversions (var lead_definition: web.conversions), each
-- with its session's key and, for the events the contract says carry a value, the value in its
-- own currency: the `value` parameter in the `currency` parameter (the property's currency,
-- web.currency, when the event names none), else ecommerce.purchase_revenue (the property's
-- currency), else event_value_in_usd or ecommerce.purchase_revenue_in_usd (USD). Nothing here
-- changes when a session or a rate does: the channel, the bot flag and the conversion into the
-- reporting currency are joined by web_conversions_daily on every run.
--
-- Incremental (macros/incremental.sql), as the events' day partitions are: a run rebuilds the
-- events of every partition from var lookback_days before the newest one the table holds (the
-- loader re-reads those days for restatements and late events, and replaces whole partitions),
-- so the table is what a full refresh gives. The rows carry an md5 of the contract's web
-- section they were built by (the events, which carry a value, the property's currency): when
-- the contract changes it, the run rebuilds every row. The first day is a literal, so that the
-- planner reads the window's partitions through the raw table's index.
{%- set currency = ga4_property_currency() %}
{%- if is_incremental() %}
    {#- a table of another shape (the rebuilt-whole table before it) has no fingerprint: every
        row, and on_schema_change stops the run, asking for --full-refresh #}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    {%- if fingerprint[0] in stored %}
        {%- set first_day = incremental_window_first_day(this, 'partition_date',
                                                         fingerprint=fingerprint) %}
    {%- else %}
        {%- set first_day = "'-infinity'::date" %}
    {%- endif %}
{%- endif %}

with

events as (

    select * from {{ ref('stg_ga4__events') }}
    where event_name in {{ conversion_events() }}
    {% if is_incremental() %}
        and partition_date >= {{ first_day }}
    {% endif %}

),

valued as (

    select
        *,
        case
            when event_name not in {{ conversion_events(valued_only=true) }} then null
            when value_param is not null then 'value'
            when purchase_revenue is not null then 'purchase_revenue'
            when event_value_in_usd is not null then 'event_value_in_usd'
            when purchase_revenue_in_usd is not null then 'purchase_revenue_in_usd'
        end as value_field
    from events

)

select
    event_date,
    event_at,
    event_name,
    case when ga_session_id is not null
        then md5(user_pseudo_id || ':' || ga_session_id::text)
    end as session_key,
    case value_field
        when 'value' then value_param
        when 'purchase_revenue' then purchase_revenue
        when 'event_value_in_usd' then event_value_in_usd
        when 'purchase_revenue_in_usd' then purchase_revenue_in_usd
    end as value,
    case value_field
        when 'value' then coalesce(currency_param, '{{ currency }}')
        when 'purchase_revenue' then '{{ currency }}'
        when 'event_value_in_usd' then 'USD'
        when 'purchase_revenue_in_usd' then 'USD'
    end as value_currency,
    value_field,
    partition_date,
    source_line,
    '{{ fingerprint[1] }}'::text as definition_md5
from valued
