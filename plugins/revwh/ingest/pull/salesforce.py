"""Salesforce through its official Python client (simple-salesforce), Bulk API 2.0:

for each object the model reads and each day, a `queryAll` job (deleted and merged rows
included) over every field the object describes, modified that day (`SystemModstamp`;
`CreatedDate` for the history objects, which are never modified; `User` as a daily snapshot),
polled until complete (a Failed or Aborted job is started again, up to the policy's attempts),
its CSV results read by locator and streamed into the day's file (the header once).

Credentials (Connection `revwh_salesforce`): host = the instance URL (https), password = an
access token (session id) of an integration user with "View All Data" (or read on each object)
and "API Enabled"; extra `refresh_token`, `client_id`, `client_secret` to refresh it on 401;
extra `version` (API version, default below).
"""

from __future__ import annotations

from datetime import datetime

import requests

from revwh.ingest.pull import retry
from revwh.ingest.pull.base import PullContext, day_bounds
from revwh.ingest.pull.landing import taken_back_on_failure
from revwh.ingest.pull.retry import Transient, classify_http, retry_after_seconds

API_VERSION = "62.0"
PAGE = 50_000  # records per results page (maxRecords)
HISTORY = {"lead_history", "opportunity_history"}  # filtered on CreatedDate
SNAPSHOT = {"user"}  # every row, every day
COMPOUND = {"address", "location"}  # not selectable in Bulk API queries


class _Session(requests.Session):
    """Every call with the policy's timeout; the last response's headers kept (the client's
    exceptions drop them, and Retry-After is in them)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout, self.last_headers = timeout, {}

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(*args, **kwargs)
        self.last_headers = dict(response.headers)
        return response


class _Client:
    def __init__(self, ctx: PullContext) -> None:
        self.ctx = ctx
        self.instance, self.token = ctx.require("host", "access_token")
        if not self.instance.startswith("https://"):
            raise ValueError("the Salesforce instance URL must be https://")
        self.version = str(ctx.credentials.get("version") or API_VERSION)
        self._connect()

    def _connect(self) -> None:
        from simple_salesforce import Salesforce

        self.session = _Session(self.ctx.policy.timeout_seconds)
        self.session.verify = self.ctx.credentials.get("ca_bundle") or True
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.sf = Salesforce(instance_url=self.instance, session_id=self.token,
                             session=self.session, version=self.version)

    def _refresh(self) -> bool:
        creds = self.ctx.credentials
        if not all(creds.get(k) for k in ("refresh_token", "client_id", "client_secret")):
            return False
        response = self.session.post(f"{self.instance}/services/oauth2/token", data={
            "grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
            "client_id": creds["client_id"], "client_secret": creds["client_secret"]})
        if response.status_code != 200:
            return False
        self.token = response.json()["access_token"]
        self._connect()
        return True

    def call(self, fn, endpoint: str, day=None):
        """fn(sf) under the retry policy; errors sorted, an expired session refreshed once."""
        from simple_salesforce.exceptions import SalesforceError

        refreshed = []

        def once():
            try:
                return fn(self.sf)
            except SalesforceError as error:
                if error.status == 401 and not refreshed and self._refresh():
                    refreshed.append(1)
                    return fn(self.sf)
                classify_http(error.status, self.session.last_headers,
                              str(error.content)[:200])
                raise
            except requests.Timeout as error:
                raise Transient("timeout", None, type(error).__name__) from error
            except requests.ConnectionError as error:
                raise Transient("connection", None, type(error).__name__) from error

        return self.ctx.call(once, endpoint, day)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pull(ctx: PullContext) -> None:
    client = _Client(ctx)
    for source in ctx.sources:
        sobject = source.file_name.split(".")[0]
        describe = client.call(lambda sf, o=sobject: getattr(sf, o).describe(),
                               f"sobjects/{sobject}/describe")
        fields = [f["name"] for f in describe["fields"] if f.get("type") not in COMPOUND]
        for day in ctx.days_for(source):
            start, end = day_bounds(day)
            query = f"SELECT {', '.join(fields)} FROM {sobject}"
            if source.entity not in SNAPSHOT:
                column = "CreatedDate" if source.entity in HISTORY else "SystemModstamp"
                query += f" WHERE {column} >= {_stamp(start)} AND {column} < {_stamp(end)}"
            _query_all(client, ctx, source, day, sobject, query)


def _query_all(client: _Client, ctx: PullContext, source, day, sobject: str,
               query: str) -> None:
    endpoint = f"jobs/query ({sobject})"

    def run() -> str:
        job = client.call(lambda sf: getattr(sf.bulk2, sobject)._client.create_job(
            "queryAll", query), endpoint, day)
        wait = min(0.5, ctx.policy.poll_seconds)
        while True:
            state = client.call(lambda sf: getattr(sf.bulk2, sobject)._client.get_job(
                job["id"], True), f"jobs/query/{job['id']}", day)
            if state["state"] == "JobComplete":
                return job["id"]
            if state["state"] in ("Failed", "Aborted"):
                raise Transient(state["state"], None,
                                f"job {job['id']}: {state.get('errorMessage', '')}"[:200])
            retry.SLEEP(wait)
            wait = min(wait * 2, ctx.policy.poll_seconds)

    job_id = ctx.call(run, endpoint, day)
    staged = ctx.batch.open(source, day)
    locator, first = "", True
    url = f"{client.sf.bulk2_url}query/{job_id}/results"
    while True:
        params = {"maxRecords": PAGE, **({"locator": locator} if locator else {})}
        locator, first = ctx.call(
            lambda p=params, f=first: _results_page(client, url, p, staged, f),
            f"jobs/query/{job_id}/results", day)
        if not locator:
            return


def _results_page(client: _Client, url: str, params: dict, staged, first: bool):
    """One page of results streamed into the day's file; the next locator. A page that fails
    half-way is retried whole: what it wrote is taken back first."""
    try:
        response = client.session.get(url, params=params, stream=True, headers={
            "Authorization": f"Bearer {client.token}", "Accept": "text/csv"})
    except requests.Timeout as error:
        raise Transient("timeout", None, type(error).__name__) from error
    except requests.ConnectionError as error:
        raise Transient("connection", None, type(error).__name__) from error
    with response:
        if response.status_code >= 300:
            classify_http(response.status_code, response.headers, response.text[:200])
            error = requests.HTTPError(f"HTTP {response.status_code}: {response.text[:200]}")
            error.status = response.status_code  # type: ignore[attr-defined]
            raise error
        skip_header = not first
        with taken_back_on_failure(staged):
            try:
                for chunk in response.iter_content(chunk_size=1 << 16):
                    if skip_header:
                        newline = chunk.find(b"\n")
                        if newline < 0:
                            continue
                        chunk, skip_header = chunk[newline + 1:], False
                    staged.write_bytes(chunk.replace(b"\x00", b""))
            except (requests.RequestException, OSError) as error:
                raise Transient("connection", retry_after_seconds(None), str(error)[:100]) \
                    from error
        staged.records += int(response.headers.get("Sforce-NumberOfRecords") or 0)
        locator = response.headers.get("Sforce-Locator") or ""
    return ("" if locator == "null" else locator), False
