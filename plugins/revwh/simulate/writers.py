"""Write the simulated company's extracts in each platform's own shape, one file per day.

Layout of the landing folder (Hive-style day partitions, the same layout real extractors use):

    google_ads/campaign_stats/dt=YYYY-MM-DD/campaign_stats.jsonl   GAQL rows (Google Ads API)
    ga4/events/dt=YYYY-MM-DD/events_YYYYMMDD.jsonl                  GA4 BigQuery export rows
    hubspot/contacts/dt=YYYY-MM-DD/contacts.jsonl                   HubSpot CRM v3 contact objects
    _truth/daily_channel.csv, _truth/contacts.csv                   what really happened
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

from revwh.simulate.company import ACCOUNT, CHANNEL_SOURCE_MEDIUM, HUBSPOT_SOURCE, Company, Day

GA4_STREAM_ID = "4829117301"
SITE = "https://www.acme-analytics.example"


def _dump(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _partition(root: Path, source: str, entity: str, day: date) -> Path:
    folder = root / source / entity / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _hubspot_ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def google_ads_rows(day: Day) -> list[dict]:
    """Rows as the Google Ads API returns them for
    SELECT customer.id, customer.currency_code, customer.time_zone, campaign.id, campaign.name,
    campaign.advertising_channel_type, segments.date, metrics.cost_micros, metrics.clicks,
    metrics.impressions, metrics.conversions FROM campaign (int64 fields arrive as strings)."""
    rows = []
    for stat in day.ad_stats:
        campaign = stat["campaign"]
        rows.append({
            "customer": {"resource_name": f"customers/{ACCOUNT.customer_id}",
                         "id": ACCOUNT.customer_id, "currency_code": ACCOUNT.currency_code,
                         "time_zone": ACCOUNT.time_zone},
            "campaign": {"resource_name": f"customers/{ACCOUNT.customer_id}/campaigns/"
                                          f"{campaign.campaign_id}",
                         "id": campaign.campaign_id, "name": campaign.name,
                         "advertising_channel_type": "SEARCH", "status": "ENABLED"},
            "segments": {"date": day.day.isoformat()},
            "metrics": {"cost_micros": str(stat["cost_micros"]), "clicks": str(stat["clicks"]),
                        "impressions": str(stat["impressions"]),
                        "conversions": stat["conversions"]},
        })
    return rows


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


def ga4_rows(day: Day) -> list[dict]:
    """Rows of the GA4 BigQuery export (one row per event, table events_YYYYMMDD)."""
    rows = []
    for session in day.sessions:
        visitor = session.visitor
        source, medium = CHANNEL_SOURCE_MEDIUM[session.channel]
        campaign = session.campaign.name if session.campaign else None
        query = []
        if session.channel not in ("direct", "organic_search", "referral"):
            query.append(f"utm_source={source}&utm_medium={medium}")
            if campaign:
                query.append("utm_campaign=" + campaign.replace(" ", "+"))
        if session.gclid:
            query.append(f"gclid={session.gclid}")
        landing = SITE + "/" + ("?" + "&".join(query) if query else "")
        referrer = {"organic_search": "https://www.google.com/", "referral": "https://www.g2.com/",
                    "organic_social": "https://www.linkedin.com/"}.get(session.channel)
        ga_session_id = int(session.started_at.timestamp())
        names = ["session_start"] + ["page_view"] * session.pageviews
        if session.converted:
            names += ["form_submit", "generate_lead"]
        base_us = int(session.started_at.timestamp() * 1_000_000)
        for index, name in enumerate(names):
            params = [_param("ga_session_id", ga_session_id),
                      _param("ga_session_number", visitor.sessions),
                      _param("page_location", landing if index <= 1 else SITE + "/pricing")]
            if index <= 1 and referrer:
                params.append(_param("page_referrer", referrer))
            if name == "generate_lead":
                params.append(_param("form_id", "demo-request"))
            rows.append({
                "event_date": day.day.strftime("%Y%m%d"),
                "event_timestamp": base_us + index * 17_000_000,
                "event_name": name,
                "event_params": params,
                "user_id": None,
                "user_pseudo_id": visitor.user_pseudo_id,
                "stream_id": GA4_STREAM_ID,
                "platform": "WEB",
                "device": {"category": "desktop", "operating_system": "Windows"},
                "geo": {"country": "United States"},
                "traffic_source": {"name": visitor.first_campaign or (
                                       "(direct)" if visitor.first_source == "(direct)"
                                       else "(organic)"),
                                   "medium": visitor.first_medium,
                                   "source": visitor.first_source},
                "collected_traffic_source": None if index else {
                    "manual_campaign_id": None,
                    "manual_campaign_name": campaign,
                    "manual_source": source if query else None,
                    "manual_medium": medium if query else None,
                    "gclid": session.gclid,
                },
            })
    return rows


def hubspot_contact_rows(day: Day) -> list[dict]:
    """Contacts modified this day, as GET /crm/v3/objects/contacts returns them."""
    rows = []
    for contact, at, stage, status in day.contact_versions:
        properties = {
            "hs_object_id": contact.contact_id,
            "email": contact.email,
            "firstname": contact.firstname,
            "lastname": contact.lastname,
            "company": contact.company,
            "createdate": _hubspot_ts(contact.created_at),
            "lastmodifieddate": _hubspot_ts(at),
            "lifecyclestage": stage,
            "hs_lead_status": status,
            "hs_analytics_source": HUBSPOT_SOURCE[contact.channel],
            "hs_analytics_source_data_1": contact.campaign or "",
            "hs_google_click_id": contact.gclid or "",
            "hubspotscore": str(contact.score),
        }
        rows.append({"id": contact.contact_id, "properties": properties,
                     "createdAt": _hubspot_ts(contact.created_at), "updatedAt": _hubspot_ts(at),
                     "archived": False})
    return rows


def write_extracts(company: Company, landing: Path) -> dict[str, int]:
    """Write every day's extracts and the truth files; return the number of rows per source."""
    counts: Counter[str] = Counter()
    for current, day in company.days.items():
        for source, entity, name, rows in (
            ("google_ads", "campaign_stats", "campaign_stats.jsonl", google_ads_rows(day)),
            ("ga4", "events", f"events_{current:%Y%m%d}.jsonl", ga4_rows(day)),
            ("hubspot", "contacts", "contacts.jsonl", hubspot_contact_rows(day)),
        ):
            path = _partition(landing, source, entity, current) / name
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                for row in rows:
                    handle.write(_dump(row) + "\n")
            counts[source] += len(rows)
    write_truth(company, landing / "_truth")
    return dict(counts)


def write_truth(company: Company, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    daily: dict[tuple[date, str], Counter] = defaultdict(Counter)
    for current, day in company.days.items():
        for stat in day.ad_stats:
            daily[(current, "paid_search")]["spend_micros"] += stat["cost_micros"]
            daily[(current, "paid_search")]["clicks"] += stat["clicks"]
            daily[(current, "paid_search")]["impressions"] += stat["impressions"]
        for session in day.sessions:
            daily[(current, session.channel)]["sessions"] += 1
    end = company.config.end
    known = [contact for contact in company.contacts if contact.created_at.date() < end]
    for contact in known:
        daily[(contact.created_at.date(), contact.channel)]["leads"] += 1
        if contact.versions[0][1] == "marketingqualifiedlead":
            daily[(contact.created_at.date(), contact.channel)]["mqls"] += 1
    with open(folder / "daily_channel.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "channel", "spend", "clicks", "impressions", "sessions", "leads",
                         "mqls"])
        for (current, channel), c in sorted(daily.items()):
            writer.writerow([current.isoformat(), channel, f"{c['spend_micros'] / 1e6:.2f}",
                             c["clicks"], c["impressions"], c["sessions"], c["leads"], c["mqls"]])
    with open(folder / "contacts.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["contact_id", "created_at", "channel", "lifecycle_stage_at_end",
                         "lead_status_at_end"])
        for contact in known:
            seen = [v for v in contact.versions if v[0].date() < end]
            writer.writerow([contact.contact_id, contact.created_at.isoformat(), contact.channel,
                             seen[-1][1], seen[-1][2]])
