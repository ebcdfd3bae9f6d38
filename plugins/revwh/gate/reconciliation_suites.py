"""Reconciliation, freshness and volume suites: the marts against the raw data, for the run's days.

Each check is a Great Expectations ``unexpected_rows_expectation``: SQL that runs in the
warehouse and returns the rows that break the check (none when it holds), so the failure names
them. They recompute from the raw tables, not from dbt's models, so that a bug in a model is
caught, with the same documented rules as the models:

- spend (``reconcile__ad_performance_daily``, per day of the run): each platform's spend of the
  day in the marts equals the platform's raw spend of that day converted with the ECB rate of
  the day (the last published rate on weekends and holidays; cross rate through the euro:
  amount / per_eur(currency) * per_eur(reporting currency)), to the cent. Restatements: a day's
  latest pull replaces its raw partition when it loads (revwh.ingest.load), so the day's rows are
  read
  from the day's own partition; where two ECB files disagree on a day's rate, the newest wins.
- people (``reconcile__dim_people``): the people in the raw CRM (distinct identity keys over
  the latest version of each lead record: the normalized email, else the contract's fallback,
  the CRM record id) = people in the marts + people the contract excludes + people whose every
  record was deleted in the CRM, person by person; the excluded and deleted people per reason
  equal the people_exclusions mart's; the CRM's quarantined lines (ops.quarantine: never
  loaded into raw) are reported with the counts.
- freshness (``freshness__<mart>``): every day of the run's interval has rows in each
  day-grained mart that must have rows every day.
- volume (``volume__<mart>``, per day): the day's rows lie within a band learned from the
  mart's previous days (revwh.core.config VOLUME_*); with too little history the check is skipped,
  with a note.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from psycopg import sql

from revwh.core import contract
from revwh.core.config import (
    AUDIT_SCHEMA,
    VOLUME_HIGH,
    VOLUME_HISTORY_DAYS,
    VOLUME_LOW,
    VOLUME_MIN_HISTORY_DAYS,
)
from revwh.core.sources import active_crm, missing_sources
from revwh.gate.contract_suites import exclusion_reason_sql
from revwh.gate.spec import SuiteSpec, batch_query, ident, literal

# Day-grained marts: their day column, and whether every day must have rows (freshness).
DAY_MARTS: dict[str, tuple[str, bool]] = {
    "ad_performance_daily": ("spend_date", True),
    "daily_channel_performance": ("date_day", True),
}

# The latest version of each CRM lead record in raw, in common columns.
RAW_LEAD_RECORDS = {
    "hubspot": """
        select distinct on (r.record ->> 'id')
            r.record ->> 'id' as record_id,
            r.record -> 'properties' ->> 'email' as email,
            r.record -> 'properties' ->> 'firstname' as first_name,
            r.record -> 'properties' ->> 'lastname' as last_name,
            coalesce((r.record ->> 'archived')::boolean, false) as is_deleted
        from raw_hubspot.contacts as r
        order by r.record ->> 'id',
            (r.record -> 'properties' ->> 'lastmodifieddate')::timestamptz desc,
            r._partition_date desc, r._line desc""",
    "salesforce": """
        select distinct on (r.record ->> 'Id')
            r.record ->> 'Id' as record_id,
            nullif(r.record ->> 'Email', '') as email,
            nullif(r.record ->> 'FirstName', '') as first_name,
            nullif(r.record ->> 'LastName', '') as last_name,
            coalesce(nullif(r.record ->> 'IsDeleted', '')::boolean, false) as is_deleted
        from raw_salesforce.lead as r
        where nullif(r.record ->> 'Id', '') is not null
        order by r.record ->> 'Id',
            nullif(r.record ->> 'SystemModstamp', '')::timestamptz desc nulls last,
            r._partition_date desc, r._line desc""",
    "csv_crm": """
        select distinct on (r.record -> 'mapped' ->> 'lead_id')
            r.record -> 'mapped' ->> 'lead_id' as record_id,
            r.record -> 'mapped' ->> 'email' as email,
            r.record -> 'mapped' ->> 'first_name' as first_name,
            r.record -> 'mapped' ->> 'last_name' as last_name,
            coalesce((r.record -> 'mapped' ->> 'is_deleted')::boolean, false)
                or r.record -> 'mapped' ->> 'deleted_at' is not null as is_deleted
        from raw_csv_crm.leads as r
        where r.record -> 'mapped' ->> 'lead_id' is not null
        order by r.record -> 'mapped' ->> 'lead_id',
            (r.record -> 'mapped' ->> 'updated_at')::timestamptz desc nulls last,
            r._partition_date desc, r._line desc""",
}
RAW_LEAD_SOURCE = {"hubspot": "hubspot__contacts", "salesforce": "salesforce__lead",
                   "csv_crm": "csv_crm__leads"}
# The order in which a person all of whose records are excluded is given one reason (the
# people_exclusions mart gives the same).
EXCLUSION_ORDER = ("test", "internal", "spam", "competitor", "no email")

# Each ad platform's raw delivery rows of a day: platform, day, currency, amount (in the
# account currency). Only rows in their own day's partition count (the latest pull of the day).
RAW_SPEND = """
    google as (
        select 'google_ads'::text as platform, r._partition_date as day,
            r.record -> 'customer' ->> 'currency_code' as currency,
            (r.record -> 'metrics' ->> 'cost_micros')::numeric / 1000000 as amount
        from raw_google_ads.ad_stats as r
        where r._partition_date in (select day from days)
            and (r.record -> 'segments' ->> 'date')::date = r._partition_date
    ),
    meta as (
        select 'meta_ads'::text as platform, r._partition_date as day,
            r.record ->> 'account_currency' as currency,
            (r.record ->> 'spend')::numeric as amount
        from raw_meta_ads.ads_insights as r
        where r._partition_date in (select day from days)
            and (r.record ->> 'date_start')::date = r._partition_date
    ),
    linkedin_creatives as (
        select distinct on (creative_id) creative_id, campaign_id from (
            select regexp_replace(r.record ->> 'id', '^.*:', '') as creative_id,
                regexp_replace(r.record ->> 'campaign', '^.*:', '') as campaign_id,
                r._partition_date, r._line
            from raw_linkedin_ads.creatives as r
        ) as versions
        order by creative_id, _partition_date desc, _line desc
    ),
    linkedin_campaigns as (
        select distinct on (campaign_id) campaign_id, account_id from (
            select r.record ->> 'id' as campaign_id,
                regexp_replace(r.record ->> 'account', '^.*:', '') as account_id,
                r._partition_date, r._line
            from raw_linkedin_ads.campaigns as r
        ) as versions
        order by campaign_id, _partition_date desc, _line desc
    ),
    linkedin_accounts as (
        select distinct on (account_id) account_id, currency from (
            select r.record ->> 'id' as account_id, r.record ->> 'currency' as currency,
                r._partition_date, r._line
            from raw_linkedin_ads.accounts as r
        ) as versions
        order by account_id, _partition_date desc, _line desc
    ),
    linkedin as (
        select 'linkedin_ads'::text as platform, r._partition_date as day,
            linkedin_accounts.currency,
            (r.record ->> 'costInLocalCurrency')::numeric as amount
        from raw_linkedin_ads.ad_analytics as r
        left join linkedin_creatives
            on linkedin_creatives.creative_id
                = regexp_replace(r.record -> 'pivotValues' ->> 0, '^.*:', '')
        left join linkedin_campaigns
            on linkedin_campaigns.campaign_id = linkedin_creatives.campaign_id
        left join linkedin_accounts
            on linkedin_accounts.account_id = linkedin_campaigns.account_id
        where r._partition_date in (select day from days)
            and make_date((r.record -> 'dateRange' -> 'start' ->> 'year')::integer,
                          (r.record -> 'dateRange' -> 'start' ->> 'month')::integer,
                          (r.record -> 'dateRange' -> 'start' ->> 'day')::integer)
                = r._partition_date
    ),
    delivered as (
        select * from google union all select * from meta union all select * from linkedin
    ),
    ecb as (
        -- one rate per publication day and currency; the newest file wins
        select distinct on (rate_date, currency) rate_date, currency, per_eur from (
            select to_date(f.record ->> 'Date', 'DD FMMonth YYYY') as rate_date,
                btrim(rate.key) as currency,
                nullif(nullif(btrim(rate.value), ''), 'N/A')::numeric as per_eur,
                f._partition_date, f._line
            from raw_ecb.fx_rates as f
            cross join lateral jsonb_each_text(f.record) as rate
            where rate.key <> 'Date'
        ) as published
        where per_eur is not null
        order by rate_date, currency, _partition_date desc, _line desc
    ),
    per_currency as (
        select platform, day, currency, sum(amount) as amount
        from delivered group by platform, day, currency
    ),
    converted as (
        select per_currency.*,
            case when per_currency.currency = 'EUR' then 1 else (
                select ecb.per_eur from ecb
                where ecb.currency = per_currency.currency and ecb.rate_date <= per_currency.day
                order by ecb.rate_date desc limit 1) end as per_eur,
            case when {reporting} = 'EUR' then 1 else (
                select ecb.per_eur from ecb
                where ecb.currency = {reporting} and ecb.rate_date <= per_currency.day
                order by ecb.rate_date desc limit 1) end as reporting_per_eur
        from per_currency
    ),
    raw as (
        select platform, day,
            sum(amount / per_eur * reporting_per_eur) as spend,
            string_agg(distinct coalesce(currency, '(none)'), ', ')
                filter (where per_eur is null or reporting_per_eur is null) as without_rate
        from converted group by platform, day
    )"""


def _spend_query() -> str:
    reporting = literal(contract.reporting_currency())
    return f"""
    with mart as (
        select b.platform, b.spend_date as day, sum(b.spend) as spend
        from {{batch}} as b
        group by b.platform, b.spend_date
    ),
    days as (select distinct day from mart),
    {RAW_SPEND.format(reporting=reporting).strip()}
    select coalesce(mart.platform, raw.platform) as platform,
        coalesce(mart.day, raw.day)::text as day,
        round(mart.spend, 2)::text as marts_spend,
        round(raw.spend, 2)::text as raw_spend,
        round(mart.spend - raw.spend, 2)::text as difference,
        case when raw.without_rate is not null then 'no ECB rate for ' || raw.without_rate
             when raw.platform is null then 'no raw rows'
             when mart.platform is null then 'not in the marts' end as note
    from mart
    full join raw on raw.platform = mart.platform and raw.day = mart.day
    where mart.platform is null or raw.platform is null or raw.without_rate is not null
        or abs(mart.spend - raw.spend) >= 0.005"""


def _normalized(expression: str) -> str:
    for step in contract.load()["identity"]["normalize"]:
        expression = {"trim": f"btrim({expression})", "lowercase": f"lower({expression})"}[step]
    return f"nullif({expression}, '')"


def _people_query(crm: str, schema: str = AUDIT_SCHEMA) -> str:
    key = _normalized("email")
    reason = exclusion_reason_sql(
        "email_key", "split_part(email_key, '@', 2)",
        "split_part(lower(concat_ws(' ', first_name, last_name)), ' ', 1)")
    # the identity key: the normalized email, else the contract's fallback (the CRM record id)
    fallback = contract.load()["identity"].get("fallback")
    identity = (f"coalesce(email_key, {literal(crm + ':')} || record_id)"
                if fallback == "crm_record_id" else "email_key")
    order = "array[" + ", ".join(literal(r) for r in EXCLUSION_ORDER) + "]::text[]"
    exclusions = f"{ident(schema)}.people_exclusions"
    return f"""
    with raw_records as ({RAW_LEAD_RECORDS[crm].strip()}
    ),
    keyed as (
        select record_id, {key} as email_key, first_name, last_name, is_deleted
        from raw_records
    ),
    classified as (
        select record_id, {identity} as email_key, is_deleted, {reason} as exclusion_reason
        from keyed
    ),
    raw_people as (
        select email_key,
            bool_and(exclusion_reason is not null) as is_excluded,
            (array_agg(exclusion_reason
                       order by array_position({order}, exclusion_reason)))[1] as first_reason,
            coalesce(bool_and(is_deleted) filter (where exclusion_reason is null), false)
                as is_deleted,
            min(record_id) filter (where exclusion_reason is null) as first_record_id
        from classified where email_key is not null group by email_key
    ),
    marts_people as (
        select m.person_id, m.crm_record_id, classified.email_key
        from {{batch}} as m
        left join classified
            on classified.record_id = m.crm_record_id and m.crm = {literal(crm)}
    ),
    raw_reasons as (
        select case when is_excluded then first_reason else 'deleted' end as exclusion_reason,
            count(*) as people
        from raw_people where is_excluded or is_deleted group by 1
    ),
    reason_counts as (
        select coalesce(raw_reasons.exclusion_reason, mart.exclusion_reason) as exclusion_reason,
            coalesce(raw_reasons.people, 0) as raw_count,
            coalesce(mart.people, 0) as mart_count
        from raw_reasons
        full join {exclusions} as mart on mart.exclusion_reason = raw_reasons.exclusion_reason
    ),
    totals as (
        select
            (select count(*) from raw_people) as raw_people,
            (select count(*) from marts_people) as marts_people,
            (select count(*) from raw_people where is_excluded) as excluded_people,
            (select count(*) from raw_people where is_deleted and not is_excluded)
                as deleted_people,
            (select count(*) from keyed where email_key is null) as records_without_email,
            (select string_agg(exclusion_reason || ' ' || raw_count, ', '
                               order by exclusion_reason)
             from reason_counts where raw_count > 0) as excluded_per_reason,
            (select count(*) from ops.quarantine where source = {literal(RAW_LEAD_SOURCE[crm])})
                as quarantined_lines
    ),
    problems as (
        select 'marts <> raw - excluded - deleted' as problem, null::text as crm_record_id
        from totals
        where marts_people <> raw_people - excluded_people - deleted_people
        union all
        select 'counted in raw, not in the marts', raw_people.first_record_id
        from raw_people
        where not raw_people.is_excluded and not raw_people.is_deleted
            and not exists (select 1 from marts_people
                            where marts_people.email_key = raw_people.email_key)
        union all
        select 'in the marts, not counted in raw', marts_people.crm_record_id
        from marts_people
        left join raw_people on raw_people.email_key = marts_people.email_key
        where raw_people.email_key is null or raw_people.is_excluded or raw_people.is_deleted
        union all
        select 'in the marts more than once', min(marts_people.crm_record_id)
        from marts_people where marts_people.email_key is not null
        group by marts_people.email_key having count(*) > 1
        union all
        select 'people_exclusions: ' || exclusion_reason || ' people ' || mart_count
            || ' in the mart, ' || raw_count || ' in raw', null
        from reason_counts where raw_count <> mart_count
    )
    select problems.problem, problems.crm_record_id, totals.*
    from problems cross join totals"""


def _freshness_query(column: str, days: list[date]) -> str:
    first, last = literal(min(days).isoformat()), literal(max(days).isoformat())
    return f"""
    select missing_day::date::text as missing_day
    from generate_series({first}::date, {last}::date, interval '1 day') as missing(missing_day)
    where not exists (select 1 from {{batch}} where {ident(column)} = missing_day::date)"""


def _check(name: str, description: str, query: str) -> dict[str, Any]:
    return {"type": "unexpected_rows_expectation",
            "kwargs": {"unexpected_rows_query": batch_query(query)},
            "description": description, "meta": {"check": name}}


def volume_band(url: str, schema: str, table: str, column: str,
                day: date) -> tuple[dict[str, Any] | None, str | None]:
    """The band of a day's rows learned from the previous days of the mart, or a note why not."""
    from revwh.warehouse.connection import connect

    start = day - timedelta(days=VOLUME_HISTORY_DAYS)
    with connect(url) as conn:
        counts = [row[0] for row in conn.execute(
            sql.SQL("select count(*) from {} where {} >= %s and {} < %s group by {}").format(
                sql.Identifier(schema, table), sql.Identifier(column), sql.Identifier(column),
                sql.Identifier(column)), (start, day))]
    if len(counts) < VOLUME_MIN_HISTORY_DAYS:
        return None, (f"volume not checked: {len(counts)} days with rows in the "
                      f"{VOLUME_HISTORY_DAYS} days before {day}, {VOLUME_MIN_HISTORY_DAYS} needed")
    return {"volume_min": math.floor(VOLUME_LOW * min(counts)),
            "volume_max": math.ceil(VOLUME_HIGH * max(counts))}, None


def _volume_range_query(column: str, days: list[date]) -> str:
    """The volume band of every day of a range at once (a history load's audit): each day's rows
    against the band learned from the previous days of the mart, as volume_band learns it."""
    first, last = literal(min(days).isoformat()), literal(max(days).isoformat())
    window = f"p.day >= d.day - {VOLUME_HISTORY_DAYS} and p.day < d.day"
    return f"""
    with daily as (
        select {ident(column)}::date as day, count(*) as n from {{batch}} group by 1
    ),
    banded as (
        select d.day, d.n,
            (select count(*) from daily p where {window}) as history_days,
            (select min(p.n) from daily p where {window}) as fewest,
            (select max(p.n) from daily p where {window}) as most
        from daily d
        where d.day between {first}::date and {last}::date
    )
    select day::text as day, n as day_rows, floor({VOLUME_LOW!r} * fewest)::bigint as volume_min,
        ceil({VOLUME_HIGH!r} * most)::bigint as volume_max
    from banded
    where history_days >= {VOLUME_MIN_HISTORY_DAYS}
        and (n < floor({VOLUME_LOW!r} * fewest) or n > ceil({VOLUME_HIGH!r} * most))"""


def suites(days: list[date], schema: str = AUDIT_SCHEMA, url: str | None = None,
           range_batches: bool = False) -> list[SuiteSpec]:
    """The reconciliation suites for the days. With range_batches (a history load's audit of
    many days) the day suites validate the whole range in one batch instead of one batch a
    day: the spend reconciliation is per day already, and the volume band is checked for every
    day of the range by one query."""
    gaps = missing_sources()
    # a mart whose sources are all left out of the run is empty: its rows are not required
    skipped = {"ad_performance_daily": gaps.get("ads"),
               "daily_channel_performance": gaps["ads"] + "; " + gaps["ga4"]
               if "ads" in gaps and "ga4" in gaps else None}
    specs = [SuiteSpec(
        name="reconcile__ad_performance_daily", table="ad_performance_daily",
        scope="table" if range_batches else "day",
        interval_column="spend_date", rows_required=True, origin="revwh.gate.reconciliation_suites",
        skip_reason=skipped["ad_performance_daily"],
        description="Spend per platform and day equals the raw platform data after FX.",
        expectations=[_check(
            "spend_matches_raw",
            "spend per platform and day equals the raw delivery converted at the ECB rate of "
            "the day, to the cent", _spend_query())])]
    crm = active_crm()
    if crm in RAW_LEAD_RECORDS:
        specs.append(SuiteSpec(
            name="reconcile__dim_people", table="dim_people", scope="table",
            origin="revwh.gate.reconciliation_suites",
            description="People in the marts + excluded + deleted = people in the raw CRM.",
            expectations=[_check(
                "people_match_raw_crm",
                f"every person in the raw {crm} lead records is in the marts, excluded by the "
                "contract, or deleted in the CRM, and only those are in the marts; the people "
                "excluded per reason equal people_exclusions",
                _people_query(crm, schema))]))
    for table, (column, required) in DAY_MARTS.items():
        if required and days:
            specs.append(SuiteSpec(
                name=f"freshness__{table}", table=table, scope="table",
                origin="revwh.gate.reconciliation_suites",
                description=f"Every day of the run's interval has rows in {table}.",
                skip_reason=skipped.get(table),
                expectations=[_check(
                    "interval_present", f"each day from {min(days)} to {max(days)} has rows",
                    _freshness_query(column, days))]))
        if range_batches and days:
            specs.append(SuiteSpec(
                name=f"volume__{table}", table=table, scope="table",
                origin="revwh.gate.reconciliation_suites",
                description=f"Each day's rows within {VOLUME_LOW:g}x the fewest and "
                            f"{VOLUME_HIGH:g}x the most of the previous {VOLUME_HISTORY_DAYS} "
                            f"days (with at least {VOLUME_MIN_HISTORY_DAYS} of them), from "
                            f"{min(days)} to {max(days)}.",
                expectations=[_check(
                    "volume_in_band", "rows of each day within the band learned from the "
                    "previous days", _volume_range_query(column, days))]))
            continue
        specs.append(SuiteSpec(
            name=f"volume__{table}", table=table, scope="day", interval_column=column,
            origin="revwh.gate.reconciliation_suites",
            description=f"The day's rows within {VOLUME_LOW:g}x the fewest and {VOLUME_HIGH:g}x "
                        f"the most of the previous {VOLUME_HISTORY_DAYS} days.",
            expectations=[{"type": "expect_table_row_count_to_be_between",
                           "kwargs": {"min_value": {"$PARAMETER": "volume_min"},
                                      "max_value": {"$PARAMETER": "volume_max"}},
                           "description": "rows of the day within the band learned from the "
                                          "previous days",
                           "meta": {"check": "volume_in_band"}}],
            parameters=None if url is None else (
                lambda day, t=table, c=column: volume_band(url, schema, t, c, day))))
    return specs
