"""Render the simulated company as each platform delivers it: one file per source and day.

Layout: ``<platform>/<entity>/dt=YYYY-MM-DD/<file>`` (see revwh.sources). A later pull of a
day that the platform restated lands beside the first as ``<stem>__vYYYYMMDD.<ext>``. The
truth lands in ``_truth/``. With ``SimConfig.mess`` the extracts carry what real ones do:
restatements, late events, bot sessions, duplicate people, test/internal/spam leads, merges and
deletions, a day with an added column, malformed rows and an empty day.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from revwh.simulate.company import (
    ACCOUNTS,
    ADS,
    CHANNEL_SOURCE_MEDIUM,
    GOOGLE,
    LINKEDIN,
    META,
    OWNERS,
    Ad,
    AdDay,
    Company,
    Person,
    Session,
    local_date,
)
from revwh.simulate.fx import FxRates

GA4_STREAM_ID = "4829117301"
GA4_TIME_ZONE = "America/New_York"
SITE = "https://www.acme-analytics.example"


class Landing:
    """Collects each file's rows, then writes them; days outside the range are dropped."""

    def __init__(self, root: Path, company: Company) -> None:
        self.root, self.company = root, company
        self.files: dict[tuple[str, str, date, str], list] = defaultdict(list)
        self.csv_headers: dict[tuple[str, str], list[str]] = {}
        self.written: Counter[str] = Counter()
        self.days = [company.config.start + timedelta(days=n) for n in range(company.config.days)]

    def add(self, platform: str, entity: str, day: date, name: str, rows: Iterable) -> None:
        if self.company.config.start <= day < self.company.config.end:
            self.files[(platform, entity, day, name)].extend(rows)

    def touch(self, platform: str, entity: str, name: str) -> None:
        """Every day has a file, empty if nothing changed (an incremental extract)."""
        for day in self.days:
            self.files.setdefault((platform, entity, day, name.format(day=day)), [])

    def write(self) -> Counter:
        counts: Counter[str] = self.written
        for (platform, entity, day, name), rows in sorted(self.files.items(),
                                                           key=lambda kv: kv[0][:3] + (kv[0][3],)):
            self._write_file(platform, entity, day, name, rows)
            counts[platform] += len(rows)
        return counts

    def write_now(self, platform: str, entity: str, day: date, name: str, rows: list) -> None:
        """Write one file at once (the large GA4 days), so memory holds one day at a time."""
        if self.company.config.start <= day < self.company.config.end:
            self._write_file(platform, entity, day, name, rows)
            self.written[platform] += len(rows)

    def _write_file(self, platform: str, entity: str, day: date, name: str, rows: list) -> None:
        folder = self.root / platform / entity / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv") and (platform, entity) not in self.csv_headers:
            (folder / name).write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
        elif name.endswith(".csv"):
            header = self.csv_headers[(platform, entity)]
            extra = sorted({k for row in rows for k in row} - set(header) - {"__raw__"})
            out = io.StringIO(newline="")
            writer = csv.writer(out, lineterminator="\r\n" if platform == "salesforce"
                                else "\n")
            writer.writerow(header + extra)
            for row in rows:
                if "__raw__" in row:  # a malformed row, written as it came
                    out.write(row["__raw__"] + "\r\n")
                    continue
                writer.writerow([_csv_value(row.get(k)) for k in header + extra])
            (folder / name).write_text(out.getvalue(), encoding="utf-8", newline="")
        else:
            with open(folder / name, "w", encoding="utf-8", newline="\n") as handle:
                for row in rows:
                    handle.write(row if isinstance(row, str) else
                                 json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                    handle.write("\n")


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _versioned(name: str, pulled: date) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}__v{pulled:%Y%m%d}{dot}{ext}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- ad platforms --------------------------------------------------------------------------------
def _pulls(company: Company, stats: AdDay) -> list[tuple[date | None, AdDay]]:
    """The first pull of a day and, with mess, a restated pull two days later (more conversions
    attributed, invalid clicks credited back). The last pull is the truth."""
    restate_on = stats.day + timedelta(days=2)
    if not company.config.mess or restate_on >= company.config.end:
        return [(None, stats)]
    first = AdDay(stats.ad, stats.day, stats.clicks, stats.impressions,
                  stats.cost_micros + (stats.cost_micros // 100) // 10_000 * 10_000,
                  stats.conversions * 4 // 5)
    return [(None, first), (restate_on, stats)]


def write_google_ads(landing: Landing, company: Company) -> None:
    def row(ad: Ad, stats: AdDay, level: str) -> dict:
        record = {
            "customer": {"resource_name": f"customers/{GOOGLE.account_id}",
                         "id": GOOGLE.account_id, "descriptive_name": GOOGLE.name,
                         "currency_code": GOOGLE.currency, "time_zone": GOOGLE.time_zone},
            "campaign": {"resource_name": f"customers/{GOOGLE.account_id}/campaigns/"
                                          f"{ad.campaign_id}", "id": ad.campaign_id,
                         "name": campaign_name(company, ad, stats.day),
                         "advertising_channel_type": "SEARCH", "status": "ENABLED"},
            "segments": {"date": stats.day.isoformat()},
            "metrics": {"cost_micros": str(stats.cost_micros), "clicks": str(stats.clicks),
                        "impressions": str(stats.impressions),
                        "conversions": float(stats.conversions)},
        }
        if level in ("ad_group", "ad"):
            record["ad_group"] = {"id": ad.group_id, "name": ad.group_name, "status": "ENABLED"}
        if level == "ad":
            record["ad_group_ad"] = {"ad": {"id": ad.ad_id, "type": "RESPONSIVE_SEARCH_AD"},
                                     "status": "ENABLED"}
        return record

    rows: dict[tuple[str, date | None, date], dict[tuple, AdDay]] = defaultdict(dict)
    for stats in sorted(company.ad_days.values(), key=lambda s: (s.day, s.ad.ad_id)):
        if stats.ad.account is not GOOGLE:
            continue
        for pulled, figures in _pulls(company, stats):
            for level, key in (("campaign", stats.ad.campaign_id),
                               ("ad_group", stats.ad.group_id), ("ad", stats.ad.ad_id)):
                bucket = rows[(level, pulled, stats.day)]
                total = bucket.setdefault(key, AdDay(stats.ad, stats.day))
                total.clicks += figures.clicks
                total.impressions += figures.impressions
                total.cost_micros += figures.cost_micros
                total.conversions += figures.conversions
    for (level, pulled, day), bucket in rows.items():
        name = f"{level}_stats.jsonl"
        records = [row(total.ad, total, level) for total in bucket.values()]
        if company.config.mess and day == company.config.start + timedelta(days=30):
            for record in records:  # the platform added a field: schema drift
                record["campaign_budget"] = {"amount_micros": "250000000"}
        landing.add("google_ads", f"{level}_stats", day,
                    _versioned(name, pulled) if pulled else name, records)
    for level in ("campaign", "ad_group", "ad"):
        landing.touch("google_ads", f"{level}_stats", f"{level}_stats.jsonl")
    history = []
    for campaign_id, ad in {ad.campaign_id: ad for ad in ADS if ad.account is GOOGLE}.items():
        history.append((company.config.start, ad, campaign_name(company, ad, company.config.start)))
        renamed = rename_day(company)
        if renamed and campaign_id == RENAMED_CAMPAIGN:
            history.append((renamed, ad, campaign_name(company, ad, renamed)))
    for day, ad, name in history:
        landing.add("google_ads", "campaign_history", day, "campaign_history.jsonl", [{
            "customer": {"id": GOOGLE.account_id},
            "campaign": {"id": ad.campaign_id, "name": name, "status": "ENABLED",
                         "advertising_channel_type": "SEARCH",
                         "start_date": company.config.start.isoformat()},
            "campaign_budget": {"amount_micros": str(sum(
                a.daily_budget_micros for a in ADS if a.campaign_id == ad.campaign_id))},
            "change_date": f"{day.isoformat()} 09:00:00"}])
    landing.touch("google_ads", "campaign_history", "campaign_history.jsonl")


RENAMED_CAMPAIGN = "20100002"


def rename_day(company: Company) -> date | None:
    return company.config.start + timedelta(days=40) if company.config.days > 41 else None


def campaign_name(company: Company, ad: Ad, day: date) -> str:
    renamed = rename_day(company)
    if ad.campaign_id == RENAMED_CAMPAIGN and renamed and day >= renamed:
        return "Search - Competitor Alternatives"
    return ad.campaign_name


def write_meta_ads(landing: Landing, company: Company) -> None:
    for stats in sorted(company.ad_days.values(), key=lambda s: (s.day, s.ad.ad_id)):
        if stats.ad.account is not META:
            continue
        for pulled, figures in _pulls(company, stats):
            leads = str(figures.conversions)
            # Meta reports a website lead under both `lead` and the pixel's own action type.
            actions = [{"action_type": "link_click", "value": str(figures.clicks)}]
            if figures.conversions:
                view = figures.conversions // 5
                actions += [{"action_type": kind, "value": leads, "1d_view": str(view),
                             "7d_click": str(figures.conversions - view)}
                            for kind in ("lead", "offsite_conversion.fb_pixel_lead")]
            name = "ads_insights.jsonl"
            landing.add("meta_ads", "ads_insights", stats.day,
                        _versioned(name, pulled) if pulled else name, [{
                            "account_id": META.account_id, "account_currency": META.currency,
                            "campaign_id": stats.ad.campaign_id, "adset_id": stats.ad.group_id,
                            "ad_id": stats.ad.ad_id, "date_start": stats.day.isoformat(),
                            "date_stop": stats.day.isoformat(),
                            "impressions": str(figures.impressions),
                            "clicks": str(figures.clicks),
                            "inline_link_clicks": str(figures.clicks),
                            "spend": f"{figures.cost_micros / 1e6:.2f}", "actions": actions}])
    landing.touch("meta_ads", "ads_insights", "ads_insights.jsonl")
    start = company.config.start
    created = _iso_meta(datetime.combine(start - timedelta(days=30), datetime.min.time(), UTC))
    for day in landing.days:
        landing.add("meta_ads", "accounts", day, "accounts.jsonl", [{
            "id": f"act_{META.account_id}", "account_id": META.account_id, "name": META.name,
            "currency": META.currency, "timezone_name": META.time_zone,
            "timezone_offset_hours_utc": 2 if day < date(day.year, 10, 25) else 1}])
    campaigns = {ad.campaign_id: ad for ad in ADS if ad.account is META}
    adsets = {ad.group_id: ad for ad in ADS if ad.account is META}
    landing.add("meta_ads", "campaigns", start, "campaigns.jsonl", [{
        "id": ad.campaign_id, "account_id": META.account_id, "name": ad.campaign_name,
        "objective": "OUTCOME_LEADS", "status": "ACTIVE", "created_time": created,
        "updated_time": created} for ad in campaigns.values()])
    budgets = {ad.group_id: sum(a.daily_budget_micros for a in ADS if a.group_id == ad.group_id)
               for ad in adsets.values()}
    landing.add("meta_ads", "adsets", start, "adsets.jsonl", [{
        "id": ad.group_id, "account_id": META.account_id, "campaign_id": ad.campaign_id,
        "name": ad.group_name, "status": "ACTIVE", "created_time": created,
        "updated_time": created, "daily_budget": str(budgets[ad.group_id] // 10_000)}
        for ad in adsets.values()])
    landing.add("meta_ads", "ads", start, "ads.jsonl", [{
        "id": ad.ad_id, "account_id": META.account_id, "campaign_id": ad.campaign_id,
        "adset_id": ad.group_id, "name": f"{ad.group_name} - creative {ad.ad_id[-1]}",
        "status": "ACTIVE", "created_time": created, "updated_time": created,
        "url_tags": f"utm_source=facebook&utm_medium=paid_social&utm_campaign={ad.campaign_id}"}
        for ad in ADS if ad.account is META])
    for entity in ("campaigns", "adsets", "ads"):
        landing.touch("meta_ads", entity, f"{entity}.jsonl")


def _iso_meta(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def write_linkedin_ads(landing: Landing, company: Company, fx: FxRates) -> None:
    for stats in sorted(company.ad_days.values(), key=lambda s: (s.day, s.ad.ad_id)):
        if stats.ad.account is not LINKEDIN:
            continue
        for pulled, figures in _pulls(company, stats):
            cost = figures.cost_micros / 1e6
            day = stats.day
            parts = {"year": day.year, "month": day.month, "day": day.day}
            name = "ad_analytics.jsonl"
            landing.add("linkedin_ads", "ad_analytics", day,
                        _versioned(name, pulled) if pulled else name, [{
                            "dateRange": {"start": parts, "end": parts},
                            "pivotValues": [f"urn:li:sponsoredCreative:{stats.ad.ad_id}"],
                            "impressions": figures.impressions, "clicks": figures.clicks,
                            "landingPageClicks": figures.clicks,
                            "costInLocalCurrency": f"{cost:.2f}",
                            "costInUsd": f"{fx.convert(cost, 'GBP', 'USD', day):.2f}",
                            "externalWebsiteConversions": figures.conversions,
                            "oneClickLeads": 0}])
    landing.touch("linkedin_ads", "ad_analytics", "ad_analytics.jsonl")
    start = company.config.start
    stamp = {"created": {"time": _ms(datetime.combine(start - timedelta(days=20),
                                                       datetime.min.time(), UTC))},
             "lastModified": {"time": _ms(datetime.combine(start, datetime.min.time(), UTC))}}
    account_urn = f"urn:li:sponsoredAccount:{LINKEDIN.account_id}"
    for day in landing.days:
        landing.add("linkedin_ads", "accounts", day, "accounts.jsonl", [{
            "id": int(LINKEDIN.account_id), "name": LINKEDIN.name, "currency": LINKEDIN.currency,
            "status": "ACTIVE", "type": "BUSINESS",
            "reference": "urn:li:organization:1337"}])
    group_id = "700100"
    landing.add("linkedin_ads", "campaign_groups", start, "campaign_groups.jsonl", [{
        "id": int(group_id), "account": account_urn, "name": "FY26 Demand", "status": "ACTIVE",
        "changeAuditStamps": stamp}])
    groups = {ad.group_id: ad for ad in ADS if ad.account is LINKEDIN}
    budget = {group: sum(a.daily_budget_micros for a in ADS if a.group_id == group) / 1e6
              for group in groups}
    landing.add("linkedin_ads", "campaigns", start, "campaigns.jsonl", [{
        "id": int(ad.group_id), "account": account_urn,
        "campaignGroup": f"urn:li:sponsoredCampaignGroup:{group_id}",
        "name": f"{ad.campaign_name} | {ad.group_name}", "status": "ACTIVE",
        "type": "SPONSORED_UPDATES", "costType": "CPC",
        "dailyBudget": {"amount": f"{budget[ad.group_id]:.2f}", "currencyCode": "GBP"},
        "changeAuditStamps": stamp}
        for ad in groups.values()])
    landing.add("linkedin_ads", "creatives", start, "creatives.jsonl", [{
        "id": f"urn:li:sponsoredCreative:{ad.ad_id}",
        "campaign": f"urn:li:sponsoredCampaign:{ad.group_id}", "name": f"Creative {ad.ad_id}",
        "intendedStatus": "ACTIVE", "createdAt": stamp["created"]["time"],
        "lastModifiedAt": stamp["lastModified"]["time"]} for ad in ADS if ad.account is LINKEDIN])
    for entity in ("campaign_groups", "campaigns", "creatives"):
        landing.touch("linkedin_ads", entity, f"{entity}.jsonl")


# --- web analytics -------------------------------------------------------------------------------
def _param(key: str, value: object) -> dict:
    typed: dict[str, object] = {"string_value": None, "int_value": None, "float_value": None,
                                "double_value": None}
    if isinstance(value, int):
        typed["int_value"] = value
    elif isinstance(value, float):
        typed["double_value"] = value
    else:
        typed["string_value"] = value
    return {"key": key, "value": typed}


def landing_url(session: Session) -> tuple[str, str | None, str | None, str | None]:
    """The landing page URL, utm_source, utm_medium and utm_campaign of a session."""
    source, medium = CHANNEL_SOURCE_MEDIUM[session.channel]
    ad = session.ad
    if ad is not None and ad.account is LINKEDIN:
        source = "linkedin"
    query: list[str] = []
    utm = session.channel in ("paid_search", "paid_social", "email", "organic_social")
    campaign = ad.campaign_name if ad else ("september-newsletter" if session.channel == "email"
                                            else None)
    if utm:
        query.append(f"utm_source={source}&utm_medium={medium}")
        if campaign:
            query.append("utm_campaign=" + campaign.replace(" ", "+"))
    if session.click_id and ad is not None:
        key = {"google_ads": "gclid", "meta_ads": "fbclid", "linkedin_ads": "li_fat_id"}[
            ad.account.platform]
        query.append(f"{key}={session.click_id}")
    url = SITE + "/" + ("?" + "&".join(query) if query else "")
    return url, source if utm else None, medium if utm else None, campaign if utm else None


def ga4_events(session: Session) -> list[dict]:
    visitor = session.visitor
    url, source, medium, campaign = landing_url(session)
    referrer = {"organic_search": "https://www.google.com/", "referral": "https://www.g2.com/",
                "organic_social": "https://www.linkedin.com/"}.get(session.channel)
    if session.bot:
        referrer = None
    first = visitor.first_session or session
    first_source, first_medium = CHANNEL_SOURCE_MEDIUM[first.channel]
    ga_session_id = int(session.started_at.timestamp())
    names = ["session_start"] + ["page_view"] * session.pageviews
    if session.converted:
        names += ["form_start", "generate_lead"]
    base_us = int(session.started_at.timestamp() * 1_000_000)
    step = 300_000 if session.bot else 17_000_000
    gclid = session.click_id if session.ad and session.ad.account is GOOGLE else None
    rows = []
    event_date = local_date(session.started_at, GA4_TIME_ZONE).strftime("%Y%m%d")
    for index, name in enumerate(names):
        params = [_param("ga_session_id", ga_session_id),
                  _param("ga_session_number", visitor.sessions),
                  _param("page_location", url if index <= 1 else SITE + "/pricing")]
        if index <= 1 and referrer:
            params.append(_param("page_referrer", referrer))
        if name == "generate_lead":
            params.append(_param("form_id", "demo-request" if session.person and
                                 session.person.demo_request else "guide-download"))
        rows.append({
            "event_date": event_date,
            "event_timestamp": base_us + index * step,
            "event_name": name,
            "event_params": params,
            "user_id": None,
            "user_pseudo_id": visitor.user_pseudo_id,
            "stream_id": GA4_STREAM_ID,
            "platform": "WEB",
            "device": {"category": "desktop", "operating_system": "Linux" if session.bot else
                       "Windows", "web_info": {"browser": "HeadlessChrome" if session.bot
                                               else "Chrome", "hostname": SITE[8:]}},
            "geo": {"country": "United States"},
            "traffic_source": {"name": first.ad.campaign_name if first.ad else "(direct)"
                               if first.channel == "direct" else "(organic)",
                               "medium": first_medium, "source": first_source},
            "collected_traffic_source": None if index else {
                "manual_campaign_id": None, "manual_campaign_name": campaign,
                "manual_source": source, "manual_medium": medium, "gclid": gclid},
        })
    return rows


def write_ga4(landing: Landing, company: Company) -> None:
    by_day: dict[date, list[Session]] = defaultdict(list)
    for session in company.sessions:
        by_day[local_date(session.started_at, GA4_TIME_ZONE)].append(session)
    malformed_day = company.config.start + timedelta(days=11)
    for day, sessions in sorted(by_day.items()):
        name = f"events_{day:%Y%m%d}.jsonl"
        complete: list = []
        first_pull: list = []
        for session in sorted(sessions, key=lambda s: s.started_at):
            events = ga4_events(session)
            complete += events
            first_pull += events[:-session.late_events] if session.late_events else events
        late = len(complete) != len(first_pull) and day + timedelta(days=1) < company.config.end
        if company.config.mess and day == malformed_day:
            lines = [json.dumps(r, separators=(",", ":")) for r in first_pull]
            target = next(i for i, r in enumerate(first_pull)
                          if r["event_name"] == "page_view" and i > 0
                          and first_pull[i - 1]["event_name"] == "page_view")
            lines[target] = lines[target][: len(lines[target]) // 2]  # a cut-off line
            first_pull = lines
            complete = lines if not late else complete
        if late:
            landing.write_now("ga4", "events", day, name, first_pull)
            landing.write_now("ga4", "events", day, _versioned(name, day + timedelta(days=1)),
                              complete)
        else:
            landing.write_now("ga4", "events", day, name, complete)
    for day in landing.days:  # a day without sessions still has its (empty) export
        if day not in by_day:
            landing.write_now("ga4", "events", day, f"events_{day:%Y%m%d}.jsonl", [])


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


def write_extracts(company: Company, landing_root: Path, crm: str = "both") -> dict[str, int]:
    """Write every source's extracts and the truth; return the rows written per platform."""
    from revwh.simulate import crm_hubspot, crm_salesforce

    fx = FxRates(company.config.seed, company.config.start - timedelta(days=10),
                 company.config.end)
    landing = Landing(landing_root, company)
    write_google_ads(landing, company)
    write_meta_ads(landing, company)
    write_linkedin_ads(landing, company, fx)
    write_ga4(landing, company)
    if crm in ("both", "hubspot"):
        crm_hubspot.write(landing, company)
    if crm in ("both", "salesforce"):
        crm_salesforce.write(landing, company)
    fx.write(landing)
    counts = landing.write()
    write_truth(landing_root / "_truth", company, fx)
    return dict(counts)
