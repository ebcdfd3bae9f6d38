"""HubSpot's APIs as the pull uses them: CRM v3 search (filters GTE/LT on a date property,
ascending, `limit` <= 200, `after`, a 400 past the 10,000th result), batch read with
`propertiesWithHistory`, read by id with associations, list archived, owners, Forms (v3 list,
v1 submissions, newest first), Engagements v1 recent/modified, the OAuth token refresh.

The records are the simulator's, which writes every change of a record; the API only has a
record's state now. The fake answers a search as of the end of its window (the latest change
in the window), and a read with the state its last search found: what a nightly pull sees."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs

from revwh.simulate.fakes.auth import BEARER, Tokens
from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

PLATFORM = "hubspot"
MODIFIED = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate",
            "deals": "hs_lastmodifieddate"}


def _ms(value) -> int:
    if isinstance(value, int | float) or str(value).isdigit():
        return int(value)
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)


class HubSpotFake:
    def __init__(self, store: SimStore, search_cap: int = 10_000) -> None:
        self.store, self.search_cap = store, search_cap
        self.tokens = Tokens()
        self.matched: dict[str, dict[str, dict]] = {e: {} for e in MODIFIED}
        self.changes = {entity: self._changes(entity) for entity in MODIFIED}

    def _changes(self, entity: str) -> list[tuple[int, str, dict]]:
        """Every change of every record: (modified ms, id, the record then), in time order."""
        out = []
        for day in self.store.days(PLATFORM, entity):
            for record in self.store.records(PLATFORM, entity, day):
                out.append((_ms(record["properties"][MODIFIED[entity]]), record["id"], record))
        return sorted(out, key=lambda c: (c[0], int(c[1])))

    @staticmethod
    def _shape(record: dict, properties: list[str] | None, history: list[str] | None) -> dict:
        shaped = dict(record)
        if properties is not None:
            shaped["properties"] = {k: v for k, v in record["properties"].items()
                                    if k in properties}
        with_history = record.get("propertiesWithHistory") or {}
        shaped.pop("propertiesWithHistory", None)
        if history:
            shaped["propertiesWithHistory"] = {k: with_history[k] for k in history
                                               if k in with_history}
        shaped.pop("associations", None)
        return shaped

    def search(self, request: Request, entity: str) -> Response:
        body = request.json()
        low, high = 0, 2 ** 62
        for group in body.get("filterGroups", []):
            for f in group.get("filters", []):
                if f["operator"] in ("GTE", "GT"):
                    low = _ms(f["value"]) + (f["operator"] == "GT")
                elif f["operator"] in ("LT", "LTE"):
                    high = _ms(f["value"]) + (f["operator"] == "LTE")
        latest: dict[str, tuple[int, dict]] = {}
        for modified, rid, record in self.changes[entity]:
            if low <= modified < high:
                latest[rid] = (modified, record)
        # search never returns an archived record (list them with archived=true)
        ordered = sorted(((rid, mr) for rid, mr in latest.items() if not mr[1].get("archived")),
                         key=lambda kv: (kv[1][0], int(kv[0])))
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit") or 10), 200)
        if after >= self.search_cap:  # no result past the cap can be reached
            return json_response({"status": "error", "category": "VALIDATION_ERROR",
                                  "message": f"There was a problem with the request: paging "
                                             f"past {self.search_cap} results"}, 400)
        page = ordered[after:min(after + limit, self.search_cap)]
        for rid, (_, record) in page:
            self.matched[entity][rid] = record
        wanted = body.get("properties") or []
        results = [{"id": rid, "properties": {k: v for k, v in record["properties"].items()
                                              if k in wanted},
                    "createdAt": record.get("createdAt"), "updatedAt": record.get("updatedAt"),
                    "archived": False} for rid, (_, record) in page]
        following = after + len(page)
        paging = {"next": {"after": str(following)}} if following < len(ordered) else None
        return json_response({"total": len(ordered), "results": results,
                              **({"paging": paging} if paging else {})})

    def _state(self, entity: str, rid: str, archived: bool) -> dict | None:
        if archived:
            found = [r for _, i, r in self.changes[entity] if i == rid and r.get("archived")]
            return found[-1] if found else None
        if rid in self.matched[entity]:
            return self.matched[entity][rid]
        found = [r for _, i, r in self.changes[entity] if i == rid]
        return found[-1] if found else None

    def batch_read(self, request: Request, entity: str) -> Response:
        body = request.json()
        archived = request.arg("archived", "false").lower() == "true"
        if len(body.get("inputs", [])) > 100:
            return json_response({"status": "error", "message": "too many inputs"}, 400)
        results = []
        for item in body.get("inputs", []):
            record = self._state(entity, str(item["id"]), archived)
            if record is not None:
                results.append(self._shape(record, body.get("properties"),
                                           body.get("propertiesWithHistory")))
        return json_response({"status": "COMPLETE", "results": results,
                              "startedAt": "2026-01-01T00:00:00Z",
                              "completedAt": "2026-01-01T00:00:01Z"})

    def read(self, request: Request, entity: str, rid: str) -> Response:
        record = self._state(entity, rid, request.arg("archived", "false").lower() == "true")
        if record is None:
            return json_response({"status": "error", "category": "OBJECT_NOT_FOUND"}, 404)

        def listed(name: str) -> list[str]:
            return [v for value in request.query.get(name, []) for v in value.split(",") if v]

        shaped = self._shape(record, listed("properties"), listed("propertiesWithHistory"))
        associations = record.get("associations") or {}
        wanted = listed("associations")
        if wanted:
            shaped["associations"] = {k: v for k, v in associations.items() if k in wanted}
        return json_response(shaped)

    def list_page(self, request: Request, entity: str) -> Response:
        archived = request.arg("archived", "false").lower() == "true"
        latest: dict[str, dict] = {}
        for _, rid, record in self.changes[entity]:
            latest[rid] = record
        chosen = [self._shape(r, None, None) for rid, r in sorted(
            latest.items(), key=lambda kv: int(kv[0])) if bool(r.get("archived")) == archived]
        return self._paged(request, chosen)

    @staticmethod
    def _paged(request: Request, items: list, default_limit: int = 100) -> Response:
        after = int(request.arg("after", "0") or 0)
        limit = int(request.arg("limit", str(default_limit)))
        page = items[after:after + limit]
        paging = {"paging": {"next": {"after": str(after + limit)}}} \
            if after + limit < len(items) else {}
        return json_response({"results": page, **paging})

    def owners(self, request: Request) -> Response:
        days = self.store.days(PLATFORM, "owners")
        return self._paged(request, list(self.store.records(PLATFORM, "owners", days[-1]))
                           if days else [])

    def _submissions(self) -> dict[str, list[dict]]:
        forms: dict[str, list[dict]] = {}
        for day in self.store.days(PLATFORM, "form_submissions"):
            for record in self.store.records(PLATFORM, "form_submissions", day):
                submission = {k: v for k, v in record.items() if k != "form_guid"}
                forms.setdefault(record["form_guid"], []).append(submission)
        return forms

    def forms(self, request: Request) -> Response:
        return self._paged(request, [{"id": guid, "name": guid, "formType": "hubspot",
                                      "archived": False}
                                     for guid in sorted(self._submissions())])

    def submissions(self, request: Request, guid: str) -> Response:
        newest_first = sorted(self._submissions().get(guid, []),
                              key=lambda s: -int(s["submittedAt"]))
        return self._paged(request, newest_first, 50)

    def engagements(self, request: Request) -> Response:
        since = int(request.arg("since", "0"))
        everything = []
        for day in self.store.days(PLATFORM, "engagements"):
            everything += [r for r in self.store.records(PLATFORM, "engagements", day)
                           if int(r["engagement"].get("lastUpdated")
                                  or r["engagement"]["createdAt"]) >= since]
        offset = int(request.arg("offset", "0") or 0)
        count = min(int(request.arg("count", "20")), 100)
        page = everything[offset:offset + count]
        more = offset + count < len(everything)
        return json_response({"results": page, "hasMore": more, "offset": offset + count,
                              "total": len(everything)})

    def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("refresh_token") != self.tokens.refresh_token:
            return json_response({"status": "BAD_REFRESH_TOKEN"}, 400)
        return json_response({"access_token": self.tokens.issue(), "token_type": BEARER,
                              "expires_in": 1800, "refresh_token": self.tokens.refresh_token})


def build(store: SimStore, server: FakeServer | None = None,
          search_cap: int = 10_000) -> FakeServer:
    server = server or FakeServer()
    fake = HubSpotFake(store, search_cap)
    server.hubspot = fake  # type: ignore[attr-defined]
    server.tokens = fake.tokens  # type: ignore[attr-defined]

    def guarded(handler):
        def wrapped(request: Request, **groups) -> Response:
            return fake.tokens.check(request) or handler(request, **groups)

        return wrapped

    objects = "(?P<entity>contacts|companies|deals)"
    server.route("POST", rf"/crm/v3/objects/{objects}/search", guarded(fake.search))
    server.route("POST", rf"/crm/v3/objects/{objects}/batch/read", guarded(fake.batch_read))
    server.route("GET", rf"/crm/v3/objects/{objects}/(?P<rid>\d+)", guarded(fake.read))
    server.route("GET", rf"/crm/v3/objects/{objects}/?", guarded(fake.list_page))
    server.route("GET", r"/crm/v3/owners/?", guarded(fake.owners))
    server.route("GET", r"/marketing/v3/forms/?", guarded(fake.forms))
    server.route("GET", r"/form-integrations/v1/submissions/forms/(?P<guid>[^/]+)",
                 guarded(fake.submissions))
    server.route("GET", r"/engagements/v1/engagements/recent/modified",
                 guarded(fake.engagements))
    server.route("POST", r"/oauth/v1/token", fake.token)
    return server
