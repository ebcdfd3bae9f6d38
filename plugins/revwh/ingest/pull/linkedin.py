"""LinkedIn Marketing API (REST, versioned by the `LinkedIn-Version` header; httpx):

- `ad_analytics`: adAnalytics `q=analytics`, pivot CREATIVE, DAILY, one request per day. The
  analytics finder has no pages (one response holds the day, up to 15,000 elements), so the
  response is parsed as it streams in (ijson) and each element written to the day's landing file
  as it is read: memory stays flat however large the day. A response cut off mid-way is
  rewound out of the file and requested again;
- `accounts`: the ad account (a daily snapshot);
- `campaign_groups`, `campaigns`, `creatives`: every object of the account (cursor pages,
  `pageToken`, to the end), landed on the day it was last modified.

Credentials (Connection `revwh_linkedin_ads`): password = access token (scope `r_ads`,
`r_ads_reporting`); extra `account_id`, and for refresh on 401 `refresh_token`, `client_id`,
`client_secret`. host/`oauth_host` may point elsewhere (the fake).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from urllib.parse import quote

import httpx
import ijson

from revwh.ingest.pull import http
from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.landing import DayFile, taken_back_on_failure

BASE_URL = "https://api.linkedin.com"
OAUTH_URL = "https://www.linkedin.com"
VERSION = "202509"
PAGE_SIZE = 100
ANALYTICS_FIELDS = ("dateRange,pivotValues,impressions,clicks,landingPageClicks,"
                    "costInLocalCurrency,costInUsd,externalWebsiteConversions,oneClickLeads")
OBJECTS = {  # entity -> (path under the account, finder, the last-modified time of a record)
    "campaign_groups": ("adCampaignGroups", "search",
                        lambda r: r.get("changeAuditStamps", {}).get("lastModified", {})
                        .get("time")),
    "campaigns": ("adCampaigns", "search",
                  lambda r: r.get("changeAuditStamps", {}).get("lastModified", {}).get("time")),
    "creatives": ("creatives", "criteria", lambda r: r.get("lastModifiedAt")),
}


def _refresher(ctx: PullContext, oauth_url: str):
    creds = ctx.credentials
    if not (creds.get("refresh_token") and creds.get("client_id") and creds.get("client_secret")):
        return None

    def refresh() -> str:
        def post() -> str:
            response = httpx.post(
                f"{oauth_url}/oauth/v2/accessToken",
                data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                      "client_id": creds["client_id"], "client_secret": creds["client_secret"]},
                timeout=ctx.policy.timeout_seconds, verify=creds.get("ca_bundle") or True,
                trust_env=False)
            http.check(response)
            return response.json()["access_token"]

        return ctx.call(post, "oauth/v2/accessToken")

    return refresh


def pull(ctx: PullContext) -> None:
    token, account = ctx.require("access_token", "account_id")
    base = ctx.credentials.get("host") or BASE_URL
    headers = {"LinkedIn-Version": str(ctx.credentials.get("version") or VERSION),
               "X-Restli-Protocol-Version": "2.0.0"}
    auth = http.BearerAuth(token, _refresher(ctx, ctx.credentials.get("oauth_host")
                                             or OAUTH_URL))
    with http.client(ctx, base, headers) as client:
        client.auth = auth
        if (source := ctx.source("ad_analytics")) is not None:
            for day in ctx.days_for(source):
                _analytics_day(ctx, client, account, day, ctx.batch.open(source, day))
        if (source := ctx.source("accounts")) is not None:
            record = ctx.call(lambda: http.get_json(client, f"/rest/adAccounts/{account}"),
                              f"rest/adAccounts/{account}")
            for day in ctx.days_for(source):
                ctx.batch.open(source, day).write_record(record)
        for entity, (path, finder, modified) in OBJECTS.items():
            source = ctx.source(entity)
            if source is None:
                continue
            days = ctx.days_for(source)
            staged = {day: ctx.batch.open(source, day) for day in days}
            endpoint = f"rest/adAccounts/{account}/{path}"
            for record in _pages(ctx, client, f"/{endpoint}", {"q": finder}, endpoint):
                stamp = modified(record)
                if stamp is None:
                    continue
                day = datetime.fromtimestamp(int(stamp) / 1000, UTC).date()
                if day in staged:
                    staged[day].write_record(record)


def _analytics_day(ctx: PullContext, client: httpx.Client, account: str, day: date,
                   staged: DayFile) -> None:
    """One day of adAnalytics, streamed element by element into its staged file."""
    path = f"/rest/adAnalytics?{_analytics_query(account, day)}"

    def once() -> None:
        with taken_back_on_failure(staged), http.stream(client, path) as response:
            for element in stream_elements(response.iter_bytes()):
                staged.write_record(element)

    ctx.call(once, "rest/adAnalytics", day)


def stream_elements(chunks) -> Iterator[dict]:
    """The `elements` of a JSON response read chunk by chunk, each yielded once complete;
    numbers as json.loads gives them (int or float), so a pulled record equals a dropped one."""
    elements = ijson.sendable_list()
    parser = ijson.items_coro(elements, "elements.item", use_float=True)
    for chunk in chunks:
        parser.send(chunk)
        yield from elements
        del elements[:]
    parser.close()
    yield from elements


def _analytics_query(account: str, day: date) -> str:
    """Rest.li 2.0 query syntax: parentheses and List() left as they are, the URN escaped."""
    when = f"(year:{day.year},month:{day.month},day:{day.day})"
    urn = quote(f"urn:li:sponsoredAccount:{account}", safe="")
    return (f"q=analytics&pivot=CREATIVE&timeGranularity=DAILY&dateRange=(start:{when},"
            f"end:{when})&accounts=List({urn})&fields={ANALYTICS_FIELDS}")


def _pages(ctx: PullContext, client: httpx.Client, path: str, params: dict, endpoint: str):
    """Every element of a cursor-paged finder, page after page to the last."""
    token = None
    while True:
        query = {**params, "pageSize": PAGE_SIZE, **({"pageToken": token} if token else {})}
        page = ctx.call(lambda q=query: http.get_json(client, path, params=q), endpoint)
        yield from page.get("elements", [])
        token = (page.get("metadata") or {}).get("nextPageToken")
        if not token:
            return

