"""The ad platforms' deliveries of the simulated company: Google Ads (GAQL rows), Meta (Insights
and objects) and LinkedIn (adAnalytics and objects), with restated pulls when messy."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from revwh.simulate.company import (
    ADS,
    GOOGLE,
    LINKEDIN,
    META,
    Ad,
    AdDay,
    Company,
)
from revwh.simulate.fx import FxRates
from revwh.simulate.landing import Landing, ms, versioned


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
                    versioned(name, pulled) if pulled else name, records)
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
                        versioned(name, pulled) if pulled else name, [{
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
                        versioned(name, pulled) if pulled else name, [{
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
    stamp = {"created": {"time": ms(datetime.combine(start - timedelta(days=20),
                                                       datetime.min.time(), UTC))},
             "lastModified": {"time": ms(datetime.combine(start, datetime.min.time(), UTC))}}
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
