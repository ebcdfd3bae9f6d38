"""The Meta Graph API (Marketing API) as the pull uses it: async insights report runs (POST
act_<id>/insights -> report_run_id; GET <id> -> async_status; GET <id>/insights, cursor pages),
the ad account, and the campaigns, adsets and ads edges (cursor pages: paging.cursors.after,
paging.next). Errors in the Graph API's shape: OAuthException 190 for an expired token,
throttling code 17 with the x-business-use-case-usage header. `fail_jobs` makes the next report
runs end 'Job Failed' (or another status)."""

from __future__ import annotations

import itertools
import json
from datetime import date
from urllib.parse import parse_qs

from revwh.simulate.company import META
from revwh.simulate.fakes.auth import FAKE_BEARER
from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

PLATFORM = "meta_ads"


def graph_error(status: int, code: int, message: str, kind: str = "OAuthException",
                headers: dict | None = None) -> Response:
    return json_response({"error": {"message": message, "type": kind, "code": code,
                                    "fbtrace_id": "AfakeTrace"}}, status, headers)


class MetaFake:
    def __init__(self, store: SimStore) -> None:
        self.store = store
        self.valid_tokens = {FAKE_BEARER}
        self.reports: dict[str, dict] = {}
        self.job_outcomes: list[str] = []  # the next runs' final statuses, then completed
        self.polls_before_done = 2
        self._ids = itertools.count(6100000000001)

    def fail_jobs(self, *statuses: str) -> None:
        self.job_outcomes.extend(statuses)

    def check(self, request: Request) -> Response | None:
        if request.arg("access_token") in self.valid_tokens:
            return None
        return graph_error(400, 190, "Error validating access token: Session has expired")

    def _page(self, request: Request, items: list[dict]) -> Response:
        after = int(request.arg("after", "0") or 0)
        limit = int(request.arg("limit", "25"))
        page = items[after:after + limit]
        paging: dict = {"cursors": {"before": str(after), "after": str(after + len(page))}}
        if after + limit < len(items):
            paging["next"] = f"/{request.path.lstrip('/')}?after={after + len(page)}"
        return json_response({"data": page, "paging": paging})

    def start_report(self, request: Request, version: str, account: str) -> Response:
        params = {k: v[0] for k, v in parse_qs(
            request.body.decode()).items()}
        span = json.loads(params.get("time_range", "{}"))
        report = str(next(self._ids))
        outcome = self.job_outcomes.pop(0) if self.job_outcomes else "Job Completed"
        self.reports[report] = {"since": date.fromisoformat(span["since"]),
                                "until": date.fromisoformat(span["until"]),
                                "outcome": outcome, "polls": 0}
        return json_response({"report_run_id": report})

    def node(self, request: Request, version: str, node: str) -> Response:
        if node.startswith("act_"):
            days = self.store.days(PLATFORM, "accounts")
            records = list(self.store.records(PLATFORM, "accounts", days[-1])) if days else []
            return json_response(records[0]) if records else graph_error(
                400, 100, "Unsupported get request", "GraphMethodException")
        report = self.reports.get(node)
        if report is None:
            return graph_error(400, 100, "Unsupported get request", "GraphMethodException")
        report["polls"] += 1
        if report["polls"] < self.polls_before_done:
            return json_response({"id": node, "async_status": "Job Running",
                                  "async_percent_completion": 50})
        return json_response({"id": node, "async_status": report["outcome"],
                              "async_percent_completion": 100
                              if report["outcome"] == "Job Completed" else 0})

    def report_rows(self, request: Request, version: str, report: str) -> Response:
        run = self.reports.get(report)
        if run is None or run["outcome"] != "Job Completed":
            return graph_error(400, 2601, "The report run is not complete",
                               "FacebookApiException")
        rows, day = [], run["since"]
        while day <= run["until"]:
            rows += list(self.store.records(PLATFORM, "ads_insights", day))
            day = date.fromordinal(day.toordinal() + 1)
        return self._page(request, rows)

    def objects(self, request: Request, version: str, account: str, entity: str) -> Response:
        latest: dict[str, dict] = {}
        for day in self.store.days(PLATFORM, entity):
            for record in self.store.records(PLATFORM, entity, day):
                latest[str(record["id"])] = record
        return self._page(request, [latest[k] for k in sorted(latest)])


def build(store: SimStore, server: FakeServer | None = None) -> FakeServer:
    server = server or FakeServer()
    fake = MetaFake(store)
    server.meta = fake  # type: ignore[attr-defined]

    def guarded(handler):
        def wrapped(request: Request, **groups) -> Response:
            return fake.check(request) or handler(request, **groups)

        return wrapped

    version = r"/(?P<version>v\d+\.\d+)"
    account = rf"act_(?P<account>{META.account_id}|\d+)"
    server.route("POST", rf"{version}/{account}/insights", guarded(fake.start_report))
    server.route("GET", rf"{version}/{account}/(?P<entity>campaigns|adsets|ads)",
                 guarded(fake.objects))
    server.route("GET", rf"{version}/(?P<report>\d+)/insights", guarded(fake.report_rows))
    server.route("GET", rf"{version}/(?P<node>act_\d+|\d+)", guarded(fake.node))
    return server
