"""The truth behind the simulated extracts (``_truth/``): people, first touches, lifecycle
timestamps, opportunities and spend, for the tests that compare the marts with it."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from revwh.simulate.company import (
    ACCOUNTS,
    OWNERS,
    Company,
    Person,
    local_date,
)
from revwh.simulate.fx import FxRates
from revwh.simulate.landing import GA4_TIME_ZONE


# --- the truth ------------------------------------------------------------------------------------
def _ts(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


def write_truth(root: Path, company: Company, fx: FxRates) -> None:
    root.mkdir(parents=True, exist_ok=True)
    start, end = company.config.start, company.config.end

    def table(name: str, header: list[str], rows: Iterable[list]) -> None:
        with open(root / name, "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    table("people.csv", [
        "person_id", "email", "account_id", "is_test", "is_internal", "is_spam",
        "duplicate_of", "merged_at", "deleted_at", "sales_sourced", "first_touch_channel",
        "first_touch_campaign", "first_touch_at", "heard_about", "score", "demo_request",
        "owner_id", "owner_team", "inquiry_at", "mql_at", "first_sales_touch_at", "sal_at",
        "disqualified_at", "rejection_reason", "sql_at", "opportunity_id"], (
        [p.person_id, p.email, p.account.account_id, p.is_test, p.is_internal, p.is_spam,
         p.duplicate_of.person_id if p.duplicate_of else "", _ts(p.merged_at), _ts(p.deleted_at),
         p.sales_sourced, p.channel, p.campaign or "", _ts(p.first_touch_at), p.heard_about,
         p.score, p.demo_request, p.owner[0] if p.owner else "", p.owner[3] if p.owner else "",
         _ts(p.created_at), _ts(p.mql_at), _ts(p.first_touch_by_sales_at), _ts(p.sal_at),
         _ts(p.disqualified_at), p.rejection_reason or "", _ts(p.sql_at),
         p.opportunity.opportunity_id if p.opportunity else ""] for p in company.people))
    table("opportunities.csv", [
        "opportunity_id", "person_id", "account_id", "amount_usd", "created_at", "stage_at_end",
        "closed_at", "outcome", "lost_reason", "first_touch_channel"], (
        [o.opportunity_id, o.person.person_id, o.person.account.account_id, o.amount,
         _ts(o.created_at), stage_at(o, company.horizon), _ts(o.closed_at)
         if o.closed_at and o.closed_at < company.horizon else "",
         ("won" if o.won else "lost") if o.closed_at and o.closed_at < company.horizon
         else "open", o.lost_reason or "" if o.closed_at and o.closed_at < company.horizon
         else "", o.person.channel] for o in company.opportunities
        if o.created_at < company.horizon))
    spend_rows = []
    for stats in sorted(company.ad_days.values(), key=lambda s: (s.day, s.ad.ad_id)):
        if not start <= stats.day < end:
            continue
        local = stats.cost_micros / 1e6
        spend_rows.append([stats.day.isoformat(), stats.ad.account.platform,
                           stats.ad.account.account_id, stats.ad.account.currency,
                           stats.ad.campaign_id, stats.ad.group_id, stats.ad.ad_id,
                           f"{local:.2f}",
                           f"{fx.convert(local, stats.ad.account.currency, 'USD', stats.day):.6f}",
                           stats.clicks, stats.impressions, stats.conversions])
    table("spend.csv", ["date", "platform", "account_id", "currency", "campaign_id", "group_id",
                        "ad_id", "spend", "spend_usd", "clicks", "impressions", "conversions"],
          spend_rows)
    sessions: Counter[tuple[str, str, bool]] = Counter()
    for session in company.sessions:
        day = local_date(session.started_at, GA4_TIME_ZONE)
        if start <= day < end:
            sessions[(day.isoformat(), session.channel, session.bot)] += 1
    table("sessions_daily.csv", ["date", "channel", "sessions", "bot_sessions"], (
        [day, channel, sessions[(day, channel, False)], sessions[(day, channel, True)]]
        for day, channel in sorted({(d, c) for d, c, _ in sessions})))
    table("fx_rates.csv", ["date", "currency", "per_eur"], fx.rows(start, end))
    table("accounts.csv", ["account_id", "name", "domain", "industry", "employees"], (
        [a.account_id, a.name, a.domain, a.industry, a.employees] for a in company.accounts))
    table("ad_accounts.csv", ["platform", "account_id", "currency", "time_zone"], (
        [a.platform, a.account_id, a.currency, a.time_zone] for a in ACCOUNTS))
    table("owners.csv", ["owner_id", "first_name", "last_name", "team"], (list(o) for o in OWNERS))


def stage_at(opportunity, moment: datetime) -> str:
    reached = [stage for at, stage in opportunity.stages if at < moment]
    return reached[-1] if reached else ""


def people_in_range(company: Company) -> list[Person]:
    return [p for p in company.people if p.created_at < company.horizon]
