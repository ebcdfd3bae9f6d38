"""The LinkedIn Marketing API (versioned REST): adAnalytics (q=analytics, pivot CREATIVE, DAILY),
the ad account, campaign groups, campaigns and creatives (cursor pages: pageSize, pageToken,
metadata.nextPageToken), the OAuth refresh; requests without `LinkedIn-Version` are refused as
the API does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import unquote

from revwh.simulate.fakes.auth import Tokens
from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

PLATFORM = "linkedin_ads"


def build(store: SimStore, server: FakeServer | None = None,
          tokens: Tokens | None = None) -> FakeServer:
    server = server or FakeServer()
    tokens = tokens or Tokens()
    server.tokens = tokens  # type: ignore[attr-defined]

    def guarded(handler):
        def wrapped(request: Request, **groups) -> Response:
            if not request.headers.get("linkedin-version"):
                return json_response({"status": 426, "code": "NONEXISTENT_VERSION",
                                      "message": "Requested version is not active"}, 426)
            return tokens.check(request) or handler(request, **groups)

        return wrapped

    def objects(entity: str) -> list[dict]:
        """Every object of an entity: the latest version of each, in id order."""
        latest: dict = {}
        for day in store.days(PLATFORM, entity):
            for record in store.records(PLATFORM, entity, day):
                latest[str(record["id"])] = record
        return [latest[k] for k in sorted(latest)]

    def paged(entity: str):
        def handler(request: Request, account: str) -> Response:
            size = int(request.arg("pageSize", "100"))
            start = int(request.arg("pageToken", "0") or 0)
            everything = objects(entity)
            page = everything[start:start + size]
            metadata = {"nextPageToken": str(start + size)} if start + size < len(
                everything) else {}
            return json_response({"elements": page, "metadata": metadata})

        return handler

    def account(request: Request, account: str) -> Response:
        days = store.days(PLATFORM, "accounts")
        records = list(store.records(PLATFORM, "accounts", days[-1])) if days else []
        match = [r for r in records if str(r["id"]) == account]
        return json_response(match[0]) if match else json_response(
            {"status": 404, "message": "Not found"}, 404)

    def analytics(request: Request) -> Response:
        if request.arg("q") != "analytics" or request.arg("pivot") != "CREATIVE":
            return json_response({"status": 400, "message": "unsupported finder"}, 400)
        found = re.search(r"start:\(year:(\d+),month:(\d+),day:(\d+)\)",
                          unquote(request.arg("dateRange", "")))
        if not found:
            return json_response({"status": 400, "message": "dateRange required"}, 400)
        day = date(*map(int, found.groups()))
        return Response(200, _elements_body(store.records(PLATFORM, "ad_analytics", day)))

    def refresh(request: Request) -> Response:
        form = dict(pair.split("=", 1) for pair in request.body.decode().split("&") if pair)
        if form.get("refresh_token") != tokens.refresh_token:
            return json_response({"error": "invalid_grant"}, 400)
        return json_response({"access_token": tokens.issue(), "expires_in": 5184000})

    server.route("GET", r"/rest/adAnalytics", guarded(analytics))
    server.route("GET", r"/rest/adAccounts/(?P<account>\d+)", guarded(account))
    server.route("GET", r"/rest/adAccounts/(?P<account>\d+)/adCampaignGroups",
                 guarded(paged("campaign_groups")))
    server.route("GET", r"/rest/adAccounts/(?P<account>\d+)/adCampaigns",
                 guarded(paged("campaigns")))
    server.route("GET", r"/rest/adAccounts/(?P<account>\d+)/creatives",
                 guarded(paged("creatives")))
    server.route("POST", r"/oauth/v2/accessToken", refresh)
    return server


def _elements_body(records) -> Iterator[bytes]:
    """{"paging": ..., "elements": [...]} written as it is read (chunked), as the API streams a
    large day: a record at a time, never the whole day in memory."""
    yield b'{"paging":{"start":0,"count":10,"links":[]},"elements":['
    for n, record in enumerate(records):
        yield (b"," if n else b"") + json.dumps(record, separators=(",", ":")).encode()
    yield b"]}"
