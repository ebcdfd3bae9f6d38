"""Salesforce's REST and Bulk API 2.0 as the pull uses them, over HTTPS (simple-salesforce
insists on https): sObject describe, query jobs (`query`, `queryAll`) created, polled
(UploadComplete -> InProgress -> JobComplete, or Failed on request), results as CSV pages by
locator (`Sforce-Locator`, `Sforce-NumberOfRecords`), the OAuth refresh. 401 INVALID_SESSION_ID
for an expired session. The rows are the simulator's Bulk API CSVs; a job answers as of the end
of its SystemModstamp window (each row's last change in it)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import datetime
from urllib.parse import parse_qs

from revwh.simulate.fakes.auth import BEARER, FAKE_REFRESH, FAKE_SESSION
from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

PLATFORM = "salesforce"
SOQL = re.compile(r"SELECT (?P<fields>.+?) FROM (?P<object>\w+)"
                  r"(?: WHERE (?P<column>\w+) >= (?P<low>\S+) AND \w+ < (?P<high>\S+))?$", re.I)


def _moment(value: str) -> datetime:
    value = value.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", value):
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)


class SalesforceFake:
    def __init__(self, store: SimStore) -> None:
        self.store = store
        self.sessions = {FAKE_SESSION}
        self.jobs: dict[str, dict] = {}
        self.job_outcomes: list[str] = []  # the next jobs' final states, then JobComplete
        self.extra_fields: dict[str, dict[str, str]] = {}  # object -> new field: value
        self._ids = itertools.count(1)
        self._entities = {}
        for entity_dir in (store.root / PLATFORM).iterdir() if (store.root / PLATFORM).exists() \
                else []:
            days = store.days(PLATFORM, entity_dir.name)
            for day in days:
                path = store.file(PLATFORM, entity_dir.name, day)
                if path is not None:
                    self._entities[path.name.split(".")[0].split("__")[0]] = entity_dir.name
                    break

    def fail_jobs(self, *states: str) -> None:
        self.job_outcomes.extend(states)

    def check(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and header[7:] in self.sessions:
            return None
        return json_response([{"message": "Session expired or invalid",
                               "errorCode": "INVALID_SESSION_ID"}], 401)

    def _rows(self, sobject: str) -> tuple[list[str], list[dict]]:
        """The object's columns (every file's header) and rows (from each day's newest file;
        a row cut short in the file is not something the API returns)."""
        entity = self._entities.get(sobject)
        columns: list[str] = []
        rows: list[dict] = []
        if entity is None:
            return columns, rows
        for day in self.store.days(PLATFORM, entity):
            text = self.store.text(PLATFORM, entity, day)
            if not text:
                continue
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader, [])
            columns += [c for c in header if c not in columns]
            for values in reader:
                if len(values) == len(header):
                    rows.append(dict(zip(header, values, strict=True)))
        extra = self.extra_fields.get(sobject, {})
        columns += [c for c in extra if c not in columns]
        return columns, [{**row, **extra} for row in rows]

    def describe(self, request: Request, version: str, sobject: str) -> Response:
        columns, _ = self._rows(sobject)
        if not columns:
            return json_response([{"errorCode": "NOT_FOUND",
                                   "message": "The requested resource does not exist"}], 404)
        return json_response({"name": sobject, "queryable": True, "fields": [
            {"name": c, "type": "id" if c == "Id" else "string"} for c in columns]})

    def create_job(self, request: Request, version: str) -> Response:
        body = request.json()
        match = SOQL.match(body.get("query", "").strip())
        if match is None:
            return json_response([{"errorCode": "MALFORMED_QUERY",
                                   "message": "unsupported query"}], 400)
        fields = [f.strip() for f in match["fields"].split(",")]
        columns, rows = self._rows(match["object"])
        unknown = [f for f in fields if f not in columns]
        if unknown:
            return json_response([{"errorCode": "INVALID_FIELD",
                                   "message": f"No such column '{unknown[0]}'"}], 400)
        if match["column"]:
            low, high, column = _moment(match["low"]), _moment(match["high"]), match["column"]
            latest: dict[str, dict] = {}
            for row in rows:
                if row.get(column) and low <= _moment(row[column]) < high:
                    if body.get("operation") == "query" and row.get("IsDeleted") == "true":
                        continue
                    earlier = latest.get(row["Id"])
                    if earlier is None or _moment(row[column]) >= _moment(earlier[column]):
                        latest[row["Id"]] = row  # the row's last change in the window
            rows = list(latest.values())
        else:  # every record as it stands now
            rows = list({row["Id"]: row for row in rows}.values())
        job_id = f"750Dn{next(self._ids):013d}"
        outcome = self.job_outcomes.pop(0) if self.job_outcomes else "JobComplete"
        self.jobs[job_id] = {"fields": fields, "rows": rows, "outcome": outcome, "polls": 0}
        return json_response({"id": job_id, "operation": body.get("operation"),
                              "object": match["object"], "state": "UploadComplete",
                              "contentType": "CSV", "apiVersion": float(version),
                              "lineEnding": body.get("lineEnding", "LF"),
                              "columnDelimiter": body.get("columnDelimiter", "COMMA")})

    def job(self, request: Request, version: str, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None:
            return json_response([{"errorCode": "NOT_FOUND", "message": "no such job"}], 404)
        job["polls"] += 1
        state = "InProgress" if job["polls"] < 2 else job["outcome"]
        extra = {"errorMessage": "InternalServerError: the query timed out"} \
            if state == "Failed" else {}
        return json_response({"id": job_id, "state": state, "numberRecordsProcessed":
                              len(job["rows"]), **extra})

    def results(self, request: Request, version: str, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None or job["outcome"] != "JobComplete":
            return json_response([{"errorCode": "INVALIDJOBSTATE",
                                   "message": "the job is not complete"}], 400)
        start = int(request.arg("locator", "0") or 0)
        size = int(request.arg("maxRecords", "50000"))
        page = job["rows"][start:start + size]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(job["fields"])
        for row in page:
            writer.writerow([row.get(f, "") for f in job["fields"]])
        following = start + len(page)
        return Response(200, out.getvalue().encode("utf-8"), {
            "Sforce-Locator": str(following) if following < len(job["rows"]) else "null",
            "Sforce-NumberOfRecords": str(len(page))}, content_type="text/csv")

    def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != \
                FAKE_REFRESH:
            return json_response({"error": "invalid_grant"}, 400)
        session = f"{FAKE_SESSION}-{len(self.sessions)}"
        self.sessions.add(session)
        return json_response({"access_token": session, "token_type": BEARER.title()})


def build(store: SimStore, tls_context, server: FakeServer | None = None) -> FakeServer:
    server = server or FakeServer(tls_context)
    fake = SalesforceFake(store)
    server.salesforce = fake  # type: ignore[attr-defined]

    def guarded(handler):
        def wrapped(request: Request, **groups) -> Response:
            return fake.check(request) or handler(request, **groups)

        return wrapped

    data = r"/services/data/v(?P<version>\d+\.\d+)"
    server.route("GET", rf"{data}/sobjects/(?P<sobject>\w+)/describe/?", guarded(fake.describe))
    server.route("POST", rf"{data}/jobs/query/?", guarded(fake.create_job))
    server.route("GET", rf"{data}/jobs/query/(?P<job_id>\w+)/?", guarded(fake.job))
    server.route("GET", rf"{data}/jobs/query/(?P<job_id>\w+)/results/?", guarded(fake.results))
    server.route("POST", r"/services/oauth2/token", fake.token)
    return server
