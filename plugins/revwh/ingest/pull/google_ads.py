"""Google Ads through its official client (google-ads, gRPC, TLS always): for each day of the
run and its lookback, `GoogleAdsService.SearchStream` with GAQL per level (campaign, ad group,
ad) over `segments.date` = the day, each streamed batch written to the day's file (a stream
that breaks is rewound and read again); `campaign_history` from the day's `change_event`s of
campaigns, with each campaign's budget.

Quota errors (RESOURCE_EXHAUSTED) wait for the failure's `retry_delay`; UNAVAILABLE, INTERNAL,
DEADLINE_EXCEEDED (every call has the policy's timeout) back off.

Credentials (Connection `revwh_google_ads`): extra `developer_token`, `customer_id` (digits),
optional `login_customer_id` (the manager account), and OAuth `client_id`, `client_secret`,
`refresh_token` (scope `https://www.googleapis.com/auth/adwords`; the client refreshes the
access token itself). host may point elsewhere (the fake: `host:port`, with `ca_bundle` put in
GRPC_DEFAULT_SSL_ROOTS_FILE_PATH before the first channel; anonymous credentials).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.landing import taken_back_on_failure
from revwh.ingest.pull.retry import Transient

API_VERSION = "v26"
OAUTH_URI = "https://oauth2.googleapis.com/token"
ROW_FIELDS = {
    "customer": ("customer.resource_name", "customer.id", "customer.descriptive_name",
                 "customer.currency_code", "customer.time_zone"),
    "campaign": ("campaign.resource_name", "campaign.id", "campaign.name",
                 "campaign.advertising_channel_type", "campaign.status"),
    "ad_group": ("ad_group.id", "ad_group.name", "ad_group.status"),
    "ad_group_ad": ("ad_group_ad.ad.id", "ad_group_ad.ad.type", "ad_group_ad.status"),
    "metrics": ("segments.date", "metrics.cost_micros", "metrics.clicks", "metrics.impressions",
                "metrics.conversions"),
}
LEVELS = {  # entity -> (GAQL resource, field groups)
    "campaign_stats": ("campaign", ("customer", "campaign", "metrics")),
    "ad_group_stats": ("ad_group", ("customer", "campaign", "ad_group", "metrics")),
    "ad_stats": ("ad_group_ad", ("customer", "campaign", "ad_group", "ad_group_ad", "metrics")),
}
TRANSIENT = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED"}


def _client(ctx: PullContext):
    from google.ads.googleads.client import GoogleAdsClient

    # the client logs each request's metadata (the developer token) at DEBUG: never
    logging.getLogger("google.ads.googleads.client").setLevel(logging.WARNING)

    (developer_token,) = ctx.require("developer_token")
    host = ctx.credentials.get("host")
    if ctx.credentials.get("ca_bundle"):
        # gRPC reads its roots from here (once, at the first secure channel of the process)
        os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = str(ctx.credentials["ca_bundle"])
    if ctx.credentials.get("refresh_token"):
        from google.oauth2.credentials import Credentials

        client_id, secret, refresh = ctx.require("client_id", "client_secret", "refresh_token")
        credentials = Credentials(None, refresh_token=refresh, client_id=client_id,
                                  client_secret=secret,
                                  token_uri=OAUTH_URI,
                                  scopes=["https://www.googleapis.com/auth/adwords"])
    else:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()
    login = ctx.credentials.get("login_customer_id")
    return GoogleAdsClient(credentials, developer_token, endpoint=host,
                           login_customer_id=str(login) if login else None,
                           use_proto_plus=True, version=API_VERSION)


def _retry_delay(error) -> float | None:
    for failure_error in getattr(getattr(error, "failure", None), "errors", []) or []:
        details = getattr(failure_error, "details", None)
        delay = getattr(getattr(details, "quota_error_details", None), "retry_delay", None)
        if isinstance(delay, timedelta) and delay.total_seconds():
            return delay.total_seconds()
        if delay is not None and getattr(delay, "seconds", 0):
            return float(delay.seconds) + getattr(delay, "nanos", 0) / 1e9
    return None


def _failure_delay(error) -> float | None:
    """Google's retry_delay: in a GoogleAdsFailure of the trailing metadata, or a RetryInfo."""
    from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure

    call = getattr(error, "response", None)
    metadata = call.trailing_metadata() if call is not None and hasattr(
        call, "trailing_metadata") else None
    for key, value in metadata or ():
        if key.endswith("googleadsfailure-bin"):
            failure = GoogleAdsFailure.deserialize(value)
            delay = _retry_delay(type("E", (), {"failure": failure})())
            if delay is not None:
                return delay
    for detail in getattr(error, "details", None) or []:
        delay = getattr(detail, "retry_delay", None)
        if delay is not None and (delay.seconds or delay.nanos):
            return delay.seconds + delay.nanos / 1e9
    return None


def _sorted(error: Exception) -> None:
    """A GoogleAdsException or gRPC error: Transient when worth another try, with Google's
    retry_delay; otherwise its status names it."""
    import grpc
    from google.ads.googleads.errors import GoogleAdsException

    if isinstance(error, GoogleAdsException):
        code = error.error.code().name if hasattr(error.error, "code") else "UNKNOWN"
        message = "; ".join(e.message for e in error.failure.errors)[:200]
        if code in TRANSIENT:
            raise Transient(code, _retry_delay(error), message) from error
        error.status = f"{code}: {message}"
        return
    from google.api_core import exceptions as google

    if isinstance(error, google.GoogleAPICallError):
        # RESOURCE_EXHAUSTED and INTERNAL are left as gRPC errors by the client's interceptor:
        # the quota failure and its retry_delay are in the call's trailing metadata
        code = error.grpc_status_code.name if error.grpc_status_code else str(error.code)
        if code in TRANSIENT:
            raise Transient(code, _failure_delay(error), str(error.message)[:200]) from error
        error.status = f"{code}: {error.message}"
        return
    if isinstance(error, grpc.RpcError) and hasattr(error, "code"):
        code = error.code().name
        if code in TRANSIENT:
            raise Transient(code, None, str(error.details())[:200]) from error
        error.status = f"{code}: {error.details()}"


def _api_names(value):
    """The API's field names: the Python client renames fields that are Python keywords
    (`ad.type` is `type_` in its messages)."""
    if isinstance(value, dict):
        return {(k[:-1] if k.endswith("_") else k): _api_names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_names(v) for v in value]
    return value


def _stream(ctx: PullContext, service, customer: str, query: str, staged, endpoint: str, day,
            convert=None) -> None:
    from google.protobuf import json_format

    def once() -> None:
        with taken_back_on_failure(staged):
            try:
                for batch in service.search_stream(customer_id=customer, query=query,
                                                   timeout=ctx.policy.timeout_seconds):
                    for row in batch.results:
                        record = _api_names(json_format.MessageToDict(
                            type(row).pb(row), preserving_proto_field_name=True))
                        staged.write_record(convert(record) if convert else record)
            except Exception as error:
                _sorted(error)
                raise

    ctx.call(once, endpoint, day)


def pull(ctx: PullContext) -> None:
    client = _client(ctx)
    service = client.get_service("GoogleAdsService")
    (customer,) = ctx.require("customer_id")
    endpoint = "GoogleAdsService.SearchStream"
    for entity, (resource, groups) in LEVELS.items():
        source = ctx.source(entity)
        if source is None:
            continue
        fields = [f for group in groups for f in ROW_FIELDS[group]]
        for day in ctx.days_for(source):
            query = (f"SELECT {', '.join(fields)} FROM {resource} "
                     f"WHERE segments.date = '{day.isoformat()}'")
            staged = ctx.batch.open(source, day)
            _stream(ctx, service, customer, query, staged, f"{endpoint} ({resource})", day)
    source = ctx.source("campaign_history")
    if source is None:
        return
    budgets: dict[str, str] = {}
    collector = _Collector()
    _stream(ctx, service, customer, "SELECT campaign.id, campaign_budget.amount_micros FROM "
            "campaign", collector, f"{endpoint} (campaign)", None)
    for record in collector.records:
        budgets[str(record["campaign"]["id"])] = \
            (record.get("campaign_budget") or {}).get("amount_micros")
    for day in ctx.days_for(source):
        query = ("SELECT change_event.change_date_time, change_event.change_resource_type, "
                 "change_event.new_resource, change_event.campaign FROM change_event "
                 f"WHERE change_event.change_date_time >= '{day.isoformat()} 00:00:00' AND "
                 f"change_event.change_date_time <= '{day.isoformat()} 23:59:59' AND "
                 "change_event.change_resource_type = 'CAMPAIGN' "
                 "ORDER BY change_event.change_date_time LIMIT 10000")
        staged = ctx.batch.open(source, day)

        def history(record: dict) -> dict:
            change = record["change_event"]
            campaign = change["new_resource"]["campaign"]
            campaign.pop("resource_name", None)
            if "start_date_time" in campaign:  # the landing's shape: the start date
                campaign["start_date"] = campaign.pop("start_date_time")[:10]
            budget = budgets.get(str(campaign.get("id")))
            return {"customer": {"id": customer}, "campaign": campaign,
                    **({"campaign_budget": {"amount_micros": budget}} if budget else {}),
                    "change_date": change["change_date_time"]}

        _stream(ctx, service, customer, query, staged, f"{endpoint} (change_event)", day,
                history)


class _Collector:
    """A stand-in day file that keeps a small query's rows (the campaigns' budgets)."""

    def __init__(self) -> None:
        self.records: list[dict] = []

    def mark(self) -> int:
        return len(self.records)

    def rewind(self, mark: int) -> None:
        del self.records[mark:]

    def write_record(self, record: dict) -> None:
        self.records.append(record)
