"""The sources the warehouse ingests: where each lands, how it parses, where it loads.

Each source entity lands as one file per day, in the platform's own format, under
``<platform>/<entity>/dt=YYYY-MM-DD/``. A later pull of the same day (a restatement) lands beside
it as ``<stem>__v<tag>.<ext>`` (tags sort by pull time); the newest version wins. Files may be
gzipped (``.gz``). Each platform loads into its own raw schema, ``raw_<platform>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Format = Literal["jsonl", "csv"]
Kind = Literal["ads", "web", "crm", "fx"]

# How many days before the run's interval each kind of source re-reads, for restatements:
# ad platforms restate spend and conversions for a few days, GA4 updates a day's export table
# for up to 72 hours; CRM extracts are incremental by modification time, so late updates to old
# records arrive in the current day's file and need no lookback.
DEFAULT_LOOKBACK_DAYS: dict[str, int] = {"ads": 3, "web": 3, "crm": 0, "fx": 0}
CRMS = ("hubspot", "salesforce", "csv_crm")


@dataclass(frozen=True)
class Source:
    platform: str  # e.g. google_ads
    entity: str  # e.g. campaign_stats
    file_name: str  # within a day's folder; {day:%Y%m%d} is filled in
    format: Format
    kind: Kind
    required: tuple[str, ...]  # dotted paths (jsonl) or columns (csv) every record must carry
    known: tuple[str, ...] = ()  # top-level fields/columns expected; others are reported as drift
    csv_options: dict = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # path -> int|number|date|timestamp

    @property
    def key(self) -> str:
        return f"{self.platform}__{self.entity}"

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.platform}"

    @property
    def raw_table(self) -> str:
        return self.entity

    @property
    def lookback_days(self) -> int:
        override = os.environ.get(f"LOOKBACK_DAYS_{self.platform.upper()}")
        return int(override) if override else DEFAULT_LOOKBACK_DAYS[self.kind]

    def partition_path(self, day: date) -> str:
        return f"{self.platform}/{self.entity}/dt={day.isoformat()}"

    def name_for(self, day: date) -> str:
        return self.file_name.format(day=day)


def _s(platform, entity, file_name, fmt, kind, required, known=(), types=None,
       **csv_options) -> Source:
    return Source(platform, entity, file_name, fmt, kind, tuple(required), tuple(known),
                  csv_options, types or {})


GOOGLE_TYPES = {"segments.date": "date", "metrics.cost_micros": "int", "metrics.clicks": "int",
                "metrics.impressions": "int", "metrics.conversions": "number"}
SF_TYPES = {"CreatedDate": "timestamp", "LastModifiedDate": "timestamp",
            "SystemModstamp": "timestamp"}


# Every top-level field of the documented GA4 BigQuery export schema, of every vintage (2020's
# exports have no collected_traffic_source, 2024's add session_traffic_source_last_click ...):
# known fields, never reported as drift.
GA4_EXPORT_FIELDS = (
    "event_date", "event_timestamp", "event_name", "event_params", "event_previous_timestamp",
    "event_value_in_usd", "event_bundle_sequence_id", "event_server_timestamp_offset",
    "user_id", "user_pseudo_id", "privacy_info", "user_properties",
    "user_first_touch_timestamp", "user_ltv", "device", "geo", "app_info", "traffic_source",
    "stream_id", "platform", "event_dimensions", "ecommerce", "items",
    "collected_traffic_source", "is_active_user", "batch_event_index", "batch_page_id",
    "batch_ordering_id", "session_traffic_source_last_click", "publisher")
GOOGLE_ROW = ("customer", "campaign", "ad_group", "ad_group_ad", "segments", "metrics")
SF_AUDIT = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")

ALL_SOURCES: tuple[Source, ...] = (
    # Google Ads API (GAQL search results, snake_case as the client library renders them)
    _s("google_ads", "campaign_stats", "campaign_stats.jsonl", "jsonl", "ads",
       ("customer.id", "customer.currency_code", "campaign.id", "segments.date",
        "metrics.cost_micros"), GOOGLE_ROW, GOOGLE_TYPES),
    _s("google_ads", "ad_group_stats", "ad_group_stats.jsonl", "jsonl", "ads",
       ("customer.id", "ad_group.id", "segments.date", "metrics.cost_micros"), GOOGLE_ROW,
       GOOGLE_TYPES),
    _s("google_ads", "ad_stats", "ad_stats.jsonl", "jsonl", "ads",
       ("customer.id", "ad_group_ad.ad.id", "segments.date", "metrics.cost_micros"), GOOGLE_ROW,
       GOOGLE_TYPES),
    _s("google_ads", "campaign_history", "campaign_history.jsonl", "jsonl", "ads",
       ("customer.id", "campaign.id", "campaign.name"),
       ("customer", "campaign", "campaign_budget", "change_date")),
    # Meta Marketing API (Insights at ad level, daily; objects with updated_time)
    _s("meta_ads", "ads_insights", "ads_insights.jsonl", "jsonl", "ads",
       ("account_id", "ad_id", "date_start", "spend"),
       ("account_id", "account_currency", "campaign_id", "adset_id", "ad_id", "date_start",
        "date_stop", "impressions", "clicks", "inline_link_clicks", "spend", "actions",
        "action_values"),
       {"date_start": "date", "spend": "number", "impressions": "int", "clicks": "int"}),
    _s("meta_ads", "accounts", "accounts.jsonl", "jsonl", "ads",
       ("id", "currency", "timezone_name"),
       ("id", "account_id", "name", "currency", "timezone_name", "timezone_offset_hours_utc")),
    _s("meta_ads", "campaigns", "campaigns.jsonl", "jsonl", "ads", ("id", "name", "updated_time"),
       ("id", "account_id", "name", "objective", "status", "created_time", "updated_time")),
    _s("meta_ads", "adsets", "adsets.jsonl", "jsonl", "ads", ("id", "campaign_id", "updated_time"),
       ("id", "account_id", "campaign_id", "name", "status", "created_time", "updated_time",
        "daily_budget")),
    _s("meta_ads", "ads", "ads.jsonl", "jsonl", "ads", ("id", "adset_id", "updated_time"),
       ("id", "account_id", "campaign_id", "adset_id", "name", "status", "created_time",
        "updated_time", "url_tags")),
    # LinkedIn Marketing API (adAnalytics pivot=CREATIVE, timeGranularity=DAILY)
    _s("linkedin_ads", "ad_analytics", "ad_analytics.jsonl", "jsonl", "ads",
       ("dateRange.start.year", "pivotValues", "costInLocalCurrency"),
       ("dateRange", "pivotValues", "impressions", "clicks", "costInLocalCurrency",
        "costInUsd", "externalWebsiteConversions", "oneClickLeads", "landingPageClicks"),
       {"costInLocalCurrency": "number", "dateRange.start.year": "int"}),
    _s("linkedin_ads", "accounts", "accounts.jsonl", "jsonl", "ads", ("id", "currency"),
       ("id", "name", "currency", "status", "type", "reference")),
    _s("linkedin_ads", "campaign_groups", "campaign_groups.jsonl", "jsonl", "ads",
       ("id", "name"), ("id", "account", "name", "status", "changeAuditStamps")),
    _s("linkedin_ads", "campaigns", "campaigns.jsonl", "jsonl", "ads", ("id", "name"),
       ("id", "account", "campaignGroup", "name", "status", "type", "costType", "dailyBudget",
        "changeAuditStamps")),
    _s("linkedin_ads", "creatives", "creatives.jsonl", "jsonl", "ads", ("id", "campaign"),
       ("id", "campaign", "name", "intendedStatus", "createdAt", "lastModifiedAt")),
    # GA4 BigQuery export, one row per event
    _s("ga4", "events", "events_{day:%Y%m%d}.jsonl", "jsonl", "web",
       ("event_date", "event_timestamp", "event_name", "user_pseudo_id"),
       GA4_EXPORT_FIELDS,
       {"event_timestamp": "int"}),
    # HubSpot CRM API v3 (objects with propertiesWithHistory), Engagements v1, Forms v1
    _s("hubspot", "contacts", "contacts.jsonl", "jsonl", "crm",
       ("id", "properties.createdate", "properties.lastmodifieddate"),
       ("id", "properties", "propertiesWithHistory", "createdAt", "updatedAt", "archived",
        "archivedAt"),
       {"properties.createdate": "timestamp", "properties.lastmodifieddate": "timestamp"}),
    _s("hubspot", "companies", "companies.jsonl", "jsonl", "crm", ("id", "properties.createdate"),
       ("id", "properties", "createdAt", "updatedAt", "archived")),
    _s("hubspot", "deals", "deals.jsonl", "jsonl", "crm",
       ("id", "properties.createdate", "properties.dealstage"),
       ("id", "properties", "propertiesWithHistory", "associations", "createdAt", "updatedAt",
        "archived", "archivedAt")),
    _s("hubspot", "engagements", "engagements.jsonl", "jsonl", "crm",
       ("engagement.id", "engagement.type", "engagement.timestamp"),
       ("engagement", "associations", "metadata")),
    _s("hubspot", "owners", "owners.jsonl", "jsonl", "crm", ("id", "email"),
       ("id", "email", "firstName", "lastName", "userId", "teams", "createdAt", "updatedAt",
        "archived")),
    _s("hubspot", "form_submissions", "form_submissions.jsonl", "jsonl", "crm",
       ("form_guid", "submittedAt", "values"), ("form_guid", "submittedAt", "values", "pageUrl",
                                                "pageName", "conversionId")),
    # Salesforce Bulk API 2.0 query results (CSV, API field names)
    _s("salesforce", "lead", "Lead.csv", "csv", "crm", SF_AUDIT + ("Status",),
       SF_AUDIT + ("FirstName", "LastName", "Email", "Company", "Title", "Status", "LeadSource",
                   "OwnerId", "Rating", "IsConverted", "ConvertedDate", "ConvertedContactId",
                   "ConvertedAccountId", "ConvertedOpportunityId", "MasterRecordId",
                   "How_Did_You_Hear__c", "Lead_Score__c", "Rejection_Reason__c",
                   "UTM_Source__c", "UTM_Medium__c", "UTM_Campaign__c", "GCLID__c",
                   "GA_Client_ID__c", "MQL_Date__c"), SF_TYPES),
    _s("salesforce", "lead_history", "LeadHistory.csv", "csv", "crm",
       ("Id", "LeadId", "Field", "CreatedDate"),
       ("Id", "LeadId", "Field", "OldValue", "NewValue", "CreatedDate", "CreatedById",
        "IsDeleted")),
    _s("salesforce", "contact", "Contact.csv", "csv", "crm", SF_AUDIT,
       SF_AUDIT + ("AccountId", "FirstName", "LastName", "Email", "Title", "OwnerId",
                   "LeadSource", "MasterRecordId")),
    _s("salesforce", "account", "Account.csv", "csv", "crm", SF_AUDIT + ("Name",),
       SF_AUDIT + ("Name", "Industry", "NumberOfEmployees", "BillingCountry", "OwnerId",
                   "Website", "MasterRecordId")),
    _s("salesforce", "opportunity", "Opportunity.csv", "csv", "crm",
       SF_AUDIT + ("StageName", "CloseDate"),
       SF_AUDIT + ("AccountId", "Name", "Amount", "CurrencyIsoCode", "StageName", "CloseDate",
                   "IsClosed", "IsWon", "OwnerId", "LeadSource", "CampaignId", "Type",
                   "Loss_Reason__c", "Probability"),
       {**SF_TYPES, "Amount": "number", "CloseDate": "date"}),
    _s("salesforce", "opportunity_history", "OpportunityHistory.csv", "csv", "crm",
       ("Id", "OpportunityId", "StageName", "CreatedDate"),
       ("Id", "OpportunityId", "StageName", "Amount", "CloseDate", "Probability",
        "CreatedDate", "CreatedById", "IsDeleted", "SystemModstamp")),
    _s("salesforce", "task", "Task.csv", "csv", "crm", SF_AUDIT + ("WhoId",),
       SF_AUDIT + ("WhoId", "WhatId", "OwnerId", "Subject", "Status", "TaskSubtype",
                   "Type", "ActivityDate", "CompletedDateTime")),
    _s("salesforce", "event", "Event.csv", "csv", "crm", SF_AUDIT + ("WhoId",),
       SF_AUDIT + ("WhoId", "WhatId", "OwnerId", "Subject", "Type", "StartDateTime",
                   "EndDateTime")),
    _s("salesforce", "user", "User.csv", "csv", "crm", ("Id", "Name"),
       ("Id", "Name", "FirstName", "LastName", "Email", "Department", "Title", "UserRoleId",
        "IsActive", "CreatedDate", "LastModifiedDate", "SystemModstamp")),
    _s("salesforce", "campaign", "Campaign.csv", "csv", "crm", ("Id", "Name"),
       SF_AUDIT + ("Name", "Type", "Status", "StartDate", "EndDate", "ParentId")),
    _s("salesforce", "campaign_member", "CampaignMember.csv", "csv", "crm",
       ("Id", "CampaignId", "CreatedDate"),
       SF_AUDIT + ("CampaignId", "LeadId", "ContactId", "Status", "HasResponded",
                   "FirstRespondedDate")),
    # Any other CRM's CSV exports, mapped onto the common lead and deal model by the mapping file
    # in CRM_MAPPING_FILE (see docs/byo-crm.md); required columns come from that mapping.
    _s("csv_crm", "leads", "leads.csv", "csv", "crm", ()),
    _s("csv_crm", "deals", "deals.csv", "csv", "crm", ()),
    # ECB euro foreign exchange reference rates (the daily CSV: "Date, USD, JPY, ...")
    _s("ecb", "fx_rates", "eurofxref.csv", "csv", "fx", ("Date", "USD"), (),
       skipinitialspace=True),
)


def active_crm() -> str:
    """The CRM this deployment reads (CRM=hubspot|salesforce|csv_crm); the others are off."""
    crm = os.environ.get("CRM", "hubspot").lower()
    if crm not in CRMS:
        raise ValueError(f"CRM={crm!r}: expected one of {', '.join(CRMS)}")
    return crm


def enabled_sources() -> dict[str, Source]:
    """The sources the DAG reads: every non-CRM platform (or those listed in PLATFORMS, comma
    separated, e.g. PLATFORMS=google_ads,ga4,ecb; PLATFORMS=none for the CRM alone) and the
    chosen CRM's."""
    crm = active_crm()
    listed = os.environ.get("PLATFORMS")
    chosen = {p.strip() for p in listed.split(",") if p.strip()} if listed else None
    if chosen == {"none"}:  # PLATFORMS=none: the CRM alone
        chosen = set()
    known = {s.platform for s in ALL_SOURCES if s.kind != "crm"}
    if chosen is not None and not chosen <= known:
        raise ValueError(f"PLATFORMS={listed!r}: unknown {sorted(chosen - known)}; "
                         f"known: {', '.join(sorted(known))}")

    def wanted(source: Source) -> bool:
        if source.kind == "crm":
            return source.platform == crm
        return chosen is None or source.platform in chosen

    return {s.key: s for s in ALL_SOURCES if wanted(s)}


SOURCES: dict[str, Source] = {source.key: source for source in ALL_SOURCES}


AD_PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads")


def missing_sources() -> dict[str, str]:
    """What the run's sources leave out, and what that empties: {gap: note}. Keys: ``ads`` (no
    ad platform at all), ``ga4``, and each ad platform left out while others are in."""
    platforms = {source.platform for source in enabled_sources().values()}
    ads = [p for p in AD_PLATFORMS if p in platforms]
    gaps: dict[str, str] = {}
    if not ads:
        gaps["ads"] = ("no ad platform among the run's sources (PLATFORMS): ad_performance_daily "
                       "is empty; spend and clicks are 0 in daily_channel_performance, "
                       "channel_efficiency and web_conversions_daily")
    else:
        for platform in AD_PLATFORMS:
            if platform not in platforms:
                gaps[platform] = (f"{platform} is not among the run's sources (PLATFORMS): "
                                  "ad_performance_daily and every spend column have none of it")
    if "ga4" not in platforms:
        gaps["ga4"] = ("ga4 is not among the run's sources (PLATFORMS): no web sessions or web "
                       "conversions (sessions are 0 in daily_channel_performance, "
                       "weekly_scorecard and web_conversions_daily, which has no conversions); "
                       "people's touches and first-touch channels come from the CRM alone")
    return gaps
