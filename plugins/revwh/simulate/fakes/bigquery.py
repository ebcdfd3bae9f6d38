"""BigQuery's REST API as `list_rows` uses it (tables.get, tabledata.list: rows in the f/v
encoding, pageToken), serving the GA4 export's `events_YYYYMMDD` tables of the simulated
company; the schema is the export's fields found in the simulator's rows."""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date

from revwh.simulate.fakes.server import FakeServer, Request, Response, json_response
from revwh.simulate.fakes.store import SimStore

PLATFORM = "ga4"


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _type(value) -> str | None:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, str):
        return "STRING"
    return None


def _merge(fields: dict, record: dict) -> None:
    """Grow a schema (name -> {type, mode, fields}) with one record's values."""
    for key, value in record.items():
        spec = fields.setdefault(key, {"type": None, "mode": "NULLABLE", "fields": {}})
        if isinstance(value, list):
            spec["mode"] = "REPEATED"
            for item in value:
                if isinstance(item, dict):
                    spec["type"] = "RECORD"
                    _merge(spec["fields"], item)
                elif _type(item):
                    spec["type"] = spec["type"] or _type(item)
        elif isinstance(value, dict):
            spec["type"] = "RECORD"
            _merge(spec["fields"], value)
        elif value is not None and (spec["type"] is None or
                                    (spec["type"], _type(value)) == ("INTEGER", "FLOAT")):
            spec["type"] = _type(value)


def _render(fields: dict) -> list[dict]:
    out = []
    for name, spec in fields.items():
        field = {"name": name, "type": spec["type"] or "STRING", "mode": spec["mode"]}
        if spec["type"] == "RECORD":
            field["fields"] = _render(spec["fields"])
        out.append(field)
    return out


def _cell(value, spec: dict):
    """One value in tabledata.list's encoding: scalars as strings, records as {f: [...]},
    repeated fields as [{v: ...}]."""
    if spec["mode"] == "REPEATED":
        return [{"v": _cell(item, {**spec, "mode": "NULLABLE"})} for item in value or []]
    if value is None:
        return None
    if spec["type"] == "RECORD":
        return {"f": [{"v": _cell(value.get(name), sub)} for name, sub in
                      spec["fields"].items()]}
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


class BigQueryFake:
    """Renders a table when a request asks for it, from the day's landing file: its schema and
    row count are kept (small), its encoded rows only for the last few tables read (a pull
    pages through one table at a time), so memory holds a few days, never the export."""

    CACHED_TABLES = 2

    def __init__(self, store: SimStore, project: str, dataset: str) -> None:
        self.store, self.project, self.dataset = store, project, dataset
        self.schemas: dict[str, tuple[dict, int]] = {}  # table -> (fields, rows)
        self.modified: dict[str, int] = {}  # table -> lastModifiedTime (ms), when rewritten
        self.rows: OrderedDict[str, list[bytes]] = OrderedDict()  # the newest read last

    def forget(self) -> None:
        """Render every table again from the records (a test changed them)."""
        self.schemas.clear()
        self.rows.clear()

    def rewrite(self, table: str) -> None:
        """The export rewrote the table now (late events)."""
        import time

        self.modified[table] = int(time.time() * 1000)
        self.schemas.pop(table, None)
        self.rows.pop(table, None)

    def _written(self, day: date, first: bool = False) -> int:
        """When the export wrote the day's table: the morning after, or the morning of the
        simulator's later pull of it (a restated day)."""
        from datetime import UTC, datetime, timedelta

        path = self.store.file(PLATFORM, "events", day)
        when = day + timedelta(days=1)
        if not first and path is not None and "__v" in path.name:
            tag = path.name.split("__v", 1)[1].split(".")[0]
            when = date(int(tag[:4]), int(tag[4:6]), int(tag[6:8]))
        moment = datetime(when.year, when.month, when.day, 6, tzinfo=UTC)
        return int(moment.timestamp() * 1000)

    def _day(self, table: str) -> date | None:
        if not table.startswith("events_"):
            return None
        try:
            day = date(int(table[7:11]), int(table[11:13]), int(table[13:15]))
        except ValueError:
            return None
        return day if self.store.file(PLATFORM, "events", day) is not None else None

    def _schema(self, table: str, day: date) -> tuple[dict, int]:
        """The table's fields, and its number of rows (one pass over the day's records)."""
        if table not in self.schemas:
            fields: dict = {}
            count = 0
            for record in self.store.records(PLATFORM, "events", day):
                _merge(fields, record)
                count += 1
            self.schemas[table] = (fields, count)
            self.rows.pop(table, None)
        return self.schemas[table]

    def _rows(self, table: str, day: date) -> list[bytes]:
        """The table's rows in tabledata.list's encoding, each as its JSON (a second pass)."""
        fields, _ = self._schema(table, day)
        if table in self.rows:
            self.rows.move_to_end(table)
            return self.rows[table]
        while len(self.rows) >= self.CACHED_TABLES:
            self.rows.popitem(last=False)
        self.rows[table] = [_json({"f": [{"v": _cell(record.get(name), spec)}
                                         for name, spec in fields.items()]})
                            for record in self.store.records(PLATFORM, "events", day)]
        return self.rows[table]

    def _missing(self, table: str) -> Response:
        return json_response({"error": {"code": 404, "status": "NOT_FOUND", "message":
                                        f"Not found: Table {self.project}:{self.dataset}."
                                        f"{table}"}}, 404)

    def table(self, request: Request, project: str, dataset: str, table: str) -> Response:
        day = self._day(table)
        if day is None or dataset != self.dataset:
            return self._missing(table)
        fields, rows = self._schema(table, day)
        modified = self.modified.get(table) or self._written(day)
        return json_response({
            "kind": "bigquery#table", "id": f"{project}:{dataset}.{table}",
            "tableReference": {"projectId": project, "datasetId": dataset, "tableId": table},
            "schema": {"fields": _render(fields)},
            "numRows": str(rows), "type": "TABLE", "lastModifiedTime": str(modified),
            "creationTime": str(self._written(day, first=True))})

    def data(self, request: Request, project: str, dataset: str, table: str) -> Response:
        day = self._day(table)
        if day is None or dataset != self.dataset:
            return self._missing(table)
        everything = self._rows(table, day)
        start = int(request.arg("pageToken", "0") or 0)
        size = int(request.arg("maxResults", "10000"))
        total = len(everything)
        # the JSON json_response would write, assembled from the rows' own
        body = (b'{"kind":"bigquery#tableDataList","totalRows":' + _json(str(total))
                + b',"rows":[' + b",".join(everything[start:start + size]) + b"]")
        if start + size < total:
            body += b',"pageToken":' + _json(str(start + size))
        return Response(200, body + b"}", {})


def build(store: SimStore, project: str = "acme-analytics",
          dataset: str = "analytics_313370001", server: FakeServer | None = None) -> FakeServer:
    server = server or FakeServer()
    fake = BigQueryFake(store, project, dataset)
    server.bigquery = fake  # type: ignore[attr-defined]
    path = r"/bigquery/v2/projects/(?P<project>[^/]+)/datasets/(?P<dataset>[^/]+)/tables/" \
           r"(?P<table>[^/]+)"
    server.route("GET", path, fake.table)
    server.route("GET", path + "/data", fake.data)
    return server
