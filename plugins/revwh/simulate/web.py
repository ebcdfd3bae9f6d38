"""The simulated company's web analytics: GA4 BigQuery export rows, one file per day."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

from revwh.simulate.company import (
    CHANNEL_SOURCE_MEDIUM,
    GOOGLE,
    LINKEDIN,
    Company,
    Session,
    local_date,
)
from revwh.simulate.landing import GA4_STREAM_ID, GA4_TIME_ZONE, SITE, Landing, versioned


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
            landing.write_now("ga4", "events", day, versioned(name, day + timedelta(days=1)),
                              complete)
        else:
            landing.write_now("ga4", "events", day, name, complete)
    for day in landing.days:  # a day without sessions still has its (empty) export
        if day not in by_day:
            landing.write_now("ga4", "events", day, f"events_{day:%Y%m%d}.jsonl", [])
