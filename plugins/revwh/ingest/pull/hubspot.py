"""HubSpot through its official client (hubspot-api-client), raw JSON kept as delivered:

- `contacts`, `companies`: CRM v3 search for the ids modified in the day (the window is split in
  halves while a search would pass the 10,000-result cap), then batch read with
  `propertiesWithHistory` (search cannot return it); archived (merged, deleted) records are
  listed with `archived=true` and batch read the same way;
- `deals`: the same search, then each deal read with its history and its contact and company
  associations (batch read cannot return associations);
- `owners`: every owner (a daily snapshot); `engagements`: Engagements v1 recent/modified;
  `form_submissions`: every form's submissions (Forms v1), landed on the day submitted.

Credentials (Connection `revwh_hubspot`): password = a private app's access token (scopes
`crm.objects.contacts.read`, `crm.objects.companies.read`, `crm.objects.deals.read`,
`crm.objects.owners.read`, `forms`, `sales-email-read`), or an OAuth access token with extra
`refresh_token`, `client_id`, `client_secret` (refreshed on 401). host may point elsewhere.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import urllib3

from revwh.ingest.pull.base import PullContext, day_bounds
from revwh.ingest.pull.retry import Transient, classify_http

BASE_URL = "https://api.hubapi.com"
SEARCH_CAP = 10_000  # the search API returns at most this many results for one query
SEARCH_PAGE = 200
BATCH = 100
CONTACT_PROPERTIES = (
    "hs_object_id", "email", "firstname", "lastname", "company", "createdate",
    "lastmodifieddate", "lifecyclestage", "hs_lead_status", "hs_analytics_source",
    "hs_analytics_source_data_1", "hs_google_click_id", "hs_facebook_click_id", "hubspotscore",
    "hubspot_owner_id", "how_did_you_hear_about_us", "lead_source", "ga_client_id",
    "rejection_reason", "associatedcompanyid", "hs_merged_object_ids")
COMPANY_PROPERTIES = ("name", "domain", "industry", "numberofemployees", "createdate",
                      "hs_lastmodifieddate", "hs_object_id")
DEAL_PROPERTIES = ("hs_object_id", "dealname", "amount", "deal_currency_code", "dealstage",
                   "pipeline", "createdate", "closedate", "hubspot_owner_id",
                   "closed_lost_reason", "hs_is_closed", "hs_is_closed_won",
                   "hs_lastmodifieddate")
OBJECTS = {  # entity -> (the modified-date property, properties, properties with history)
    "contacts": ("lastmodifieddate", CONTACT_PROPERTIES, ("lifecyclestage", "hs_lead_status")),
    "companies": ("hs_lastmodifieddate", COMPANY_PROPERTIES, ()),
    "deals": ("hs_lastmodifieddate", DEAL_PROPERTIES, ("dealstage",)),
}


class _Session:
    """The official client, its calls made with the policy's timeout and no retries of its own
    (the pull's one policy retries), raw JSON back; an expired OAuth token refreshed once."""

    def __init__(self, ctx: PullContext) -> None:
        from hubspot import HubSpot

        self.ctx = ctx
        (token,) = ctx.require("access_token")
        host = ctx.credentials.get("host") or BASE_URL
        options = {"host": host, "retry": urllib3.Retry(total=0, raise_on_status=False)}
        if ctx.credentials.get("ca_bundle"):
            options["ssl_ca_cert"] = ctx.credentials["ca_bundle"]
        self.client = HubSpot(access_token=token, **options)
        self.refreshed = False
        self.apis: dict[str, object] = {}  # each API object made once (the client makes a new
        # ApiClient, connection pool and version lookup on every attribute access)

    def api(self, path: str):
        if path not in self.apis:
            target = self.client
            for part in path.split("."):
                target = getattr(target, part)
            self.apis[path] = target
        return self.apis[path]

    def _refresh(self) -> bool:
        creds = self.ctx.credentials
        if self.refreshed or not all(creds.get(k) for k in
                                     ("refresh_token", "client_id", "client_secret")):
            return False
        tokens = self.client.oauth.tokens_api.create(
            grant_type="refresh_token", refresh_token=creds["refresh_token"],
            client_id=creds["client_id"], client_secret=creds["client_secret"],
            _request_timeout=self.ctx.policy.timeout_seconds)
        self.client.access_token = tokens.access_token
        self.apis.clear()  # made again with the new token
        self.refreshed = True
        return True

    def _json(self, request) -> dict:
        """request() (a call with _preload_content=False) as parsed JSON, its failures in the
        retry policy's terms: a timeout or dropped connection is transient, a 401 refreshes the
        token once where the Connection allows it, an HTTP status is classified."""
        try:
            response = request()
        except urllib3.exceptions.HTTPError as error:
            raise Transient("timeout" if "timed out" in str(error).lower()
                            else "connection", None, type(error).__name__) from error
        except Exception as error:
            status = getattr(error, "status", None)
            if status == 401 and self._refresh():
                return self._json(request)
            if isinstance(status, int):
                headers = dict(getattr(error, "headers", None) or {})
                classify_http(status, headers, _short(getattr(error, "body", b"")))
                if status == 0:
                    raise Transient("connection", None, str(error)[:100]) from error
            raise
        return json.loads(response.data)

    def call(self, endpoint: str, day, api: str, method: str, *args, **kwargs) -> dict:
        """client.<api>.<method>(...) under the retry policy, as parsed JSON."""

        def request():
            return getattr(self.api(api), method)(
                *args, _preload_content=False,
                _request_timeout=self.ctx.policy.timeout_seconds, **kwargs)

        return self.ctx.call(lambda: self._json(request), endpoint, day)

    def get(self, endpoint: str, day, path: str, query: dict) -> dict:
        """A v1 endpoint through the client's own HTTP transport (same TLS, timeout, auth)."""

        def request():
            api_client = self.api("crm.owners.owners_api").api_client
            headers = {"Authorization": f"Bearer {self.client.access_token}",
                       "Accept": "application/json"}
            return api_client.rest_client.request(
                "GET", api_client.configuration.host + path, headers=headers,
                query_params=list(query.items()), _preload_content=False,
                _request_timeout=self.ctx.policy.timeout_seconds)

        return self.ctx.call(lambda: self._json(request), endpoint, day)


def _short(body) -> str:
    return (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or ""))[:200]


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def pull(ctx: PullContext) -> None:
    session = _Session(ctx)
    for entity, (modified, properties, history) in OBJECTS.items():
        source = ctx.source(entity)
        if source is None:
            continue
        for day in ctx.days_for(source):
            staged = ctx.batch.open(source, day)
            start, end = day_bounds(day)
            ids = sorted(_search_ids(session, entity, modified, start, end, day), key=int)
            archived = sorted(_archived_ids(session, entity, start, end, day), key=int)
            for is_archived, chosen in ((False, ids), (True, archived)):
                if entity == "deals":
                    for deal in chosen:
                        staged.write_record(session.call(
                            f"crm/v3/objects/deals/{deal}", day, "crm.deals.basic_api",
                            "get_by_id", deal, properties=list(properties),
                            properties_with_history=list(history),
                            associations=["contacts", "companies"], archived=is_archived))
                    continue
                for n in range(0, len(chosen), BATCH):
                    body = {"inputs": [{"id": i} for i in chosen[n:n + BATCH]],
                            "properties": list(properties),
                            "propertiesWithHistory": list(history)}
                    page = session.call(f"crm/v3/objects/{entity}/batch/read", day,
                                        f"crm.{entity}.batch_api", "read", body,
                                        archived=is_archived)
                    for record in page.get("results", []):
                        staged.write_record(record)
    _owners(ctx, session)
    _engagements(ctx, session)
    _form_submissions(ctx, session)


def _search_ids(session: _Session, entity: str, modified: str, start: datetime,
                end: datetime, day: date) -> list[str]:
    """The ids modified in [start, end); a window whose search passes the cap is split."""
    endpoint = f"crm/v3/objects/{entity}/search"

    def request(after: str | None) -> dict:
        body = {"filterGroups": [{"filters": [
                    {"propertyName": modified, "operator": "GTE", "value": _ms(start)},
                    {"propertyName": modified, "operator": "LT", "value": _ms(end)}]}],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": [modified], "limit": SEARCH_PAGE,
                **({"after": after} if after else {})}
        return session.call(endpoint, day, f"crm.{entity}.search_api", "do_search", body)

    first = request(None)
    if first.get("total", 0) > SEARCH_CAP:
        if end - start <= timedelta(milliseconds=1):
            raise Transient("cap", None, f"{first['total']} changes in one millisecond")
        middle = start + (end - start) / 2
        middle = middle.replace(microsecond=middle.microsecond // 1000 * 1000)
        return _search_ids(session, entity, modified, start, middle, day) + \
            _search_ids(session, entity, modified, middle, end, day)
    ids, page = [], first
    while True:
        ids += [str(result["id"]) for result in page.get("results", [])]
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return ids
        page = request(after)


def _archived_ids(session: _Session, entity: str, start: datetime, end: datetime,
                  day: date) -> list[str]:
    """Records archived (merged into another, or deleted) in [start, end)."""
    ids, after = [], None
    while True:
        page = session.call(f"crm/v3/objects/{entity}?archived=true", day,
                            f"crm.{entity}.basic_api", "get_page", limit=100, archived=True,
                            **({"after": after} if after else {}))
        for result in page.get("results", []):
            archived_at = result.get("archivedAt")
            if archived_at and start <= _parse(archived_at) < end:
                ids.append(str(result["id"]))
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return ids


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _owners(ctx: PullContext, session: _Session) -> None:
    source = ctx.source("owners")
    if source is None:
        return
    days = ctx.days_for(source)
    staged = [ctx.batch.open(source, day) for day in days]
    after = None
    while True:
        page = session.call("crm/v3/owners", days[-1], "crm.owners.owners_api", "get_page",
                            limit=100, archived=False, **({"after": after} if after else {}))
        for owner in page.get("results", []):
            for day_file in staged:
                day_file.write_record(owner)
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def _engagements(ctx: PullContext, session: _Session) -> None:
    source = ctx.source("engagements")
    if source is None:
        return
    days = ctx.days_for(source)
    staged = {day: ctx.batch.open(source, day) for day in days}
    since, _ = day_bounds(days[0])
    offset = None
    while True:
        query = {"since": _ms(since), "count": 100, **({"offset": offset} if offset else {})}
        page = session.get("engagements/v1/engagements/recent/modified", days[0],
                           "/engagements/v1/engagements/recent/modified", query)
        for record in page.get("results", []):
            engagement = record.get("engagement") or {}
            stamp = engagement.get("lastUpdated") or engagement.get("createdAt")
            day = datetime.fromtimestamp(int(stamp) / 1000, UTC).date() if stamp else None
            if day in staged:
                staged[day].write_record(record)
        if not page.get("hasMore"):
            return
        offset = page.get("offset")


def _form_submissions(ctx: PullContext, session: _Session) -> None:
    source = ctx.source("form_submissions")
    if source is None:
        return
    days = ctx.days_for(source)
    staged = {day: ctx.batch.open(source, day) for day in days}
    since, _ = day_bounds(days[0])
    _, until = day_bounds(days[-1])
    forms, after = [], None
    while True:
        page = session.call("marketing/v3/forms", None, "marketing.forms.forms_api",
                            "get_page", limit=100, **({"after": after} if after else {}))
        forms += [form["id"] for form in page.get("results", [])]
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            break
    for form in forms:
        after = None
        while True:  # newest first: stop at the first page that reaches before the window
            path = f"/form-integrations/v1/submissions/forms/{form}"
            page = session.get(path.lstrip("/"), None, path,
                               {"limit": 50, **({"after": after} if after else {})})
            oldest = None
            for submission in page.get("results", []):
                submitted = datetime.fromtimestamp(int(submission["submittedAt"]) / 1000, UTC)
                oldest = submitted if oldest is None else min(oldest, submitted)
                if since <= submitted < until:
                    staged[submitted.date()].write_record({"form_guid": form, **submission})
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after or (oldest is not None and oldest < since):
                break
