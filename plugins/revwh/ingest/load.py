"""Load one landed file into its raw table: streamed with COPY, idempotent per (source, day).

In one transaction: the day's earlier rows (and quarantined rows) for the source are deleted,
the file is streamed record by record into ``raw_<platform>.<entity>`` with COPY, records that
cannot be parsed go to ``ops.quarantine`` with the reason and their original text, and
``ops.load_manifest`` records the file's checksum, row counts (rows in file = rows loaded + rows
quarantined, a table constraint) and any fields the source did not have before (schema drift:
kept in the raw record, reported). Memory stays flat whatever the file size; only rejected rows
are held until the end.

JSON-lines files load one object per line; CSV files (header row first) load one object per
row, keyed by the header. A CSV header that lacks a required column fails the file. Rows of a
CSV CRM export (CRM=csv_crm) are also mapped onto the common lead and deal model by its mapping
file (revwh.ingest.crm_spec) and load as {"row": <as delivered>, "mapped": <common model>}; a row
the mapping cannot map is quarantined with every issue named.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
import math
import queue
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime

import fsspec
import orjson
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from revwh.core.config import OPS_SCHEMA
from revwh.core.errors import LoadRejected
from revwh.core.sources import Source
from revwh.warehouse import schema

log = logging.getLogger(__name__)

# Above this share of rejected rows the file is refused as a whole: it is likely not the
# format we expect, and loading the remainder would understate the day.
MAX_QUARANTINE_SHARE = 0.05
MAX_QUARANTINE_ROWS_ALWAYS_ALLOWED = 20


@dataclass(frozen=True)
class LoadResult:
    source: str
    day: str
    url: str
    batch_id: str
    sha256: str
    bytes: int
    rows_in_file: int
    rows_loaded: int
    rows_quarantined: int
    new_fields: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)


class _BoundedQueuedWriter(QueuedLibpqWriter):
    """psycopg's queued COPY writer (it sends from a thread of its own while the loader
    parses), with a short queue so that memory stays flat whatever the file size."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        super().__init__(cursor)
        self._queue: queue.Queue = queue.Queue(maxsize=16)


class Rejected(ValueError):
    """One record that cannot be loaded; the message is the reason kept in quarantine."""


def _lookup(record: dict, parts: tuple[str, ...]) -> object:
    value: object = record
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _valid(value: object, kind: str) -> bool:
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())
    if kind == "number":
        if isinstance(value, int | float):
            return math.isfinite(value)
        try:
            return math.isfinite(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    if not isinstance(value, str):
        return False
    try:
        if kind == "date":
            date.fromisoformat(value)
        else:  # timestamp: ISO 8601, with Z or an offset such as +0000
            datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class Checker:
    """A source's record rules, compiled once: required fields present, typed fields valid."""

    def __init__(self, required: tuple[str, ...], types: dict[str, str] | None = None) -> None:
        self.required = [(path, tuple(path.split("."))) for path in required]
        self.types = [(path, tuple(path.split(".")), kind) for path, kind in
                      (types or {}).items()]

    def __call__(self, record: dict) -> None:
        missing = [path for path, parts in self.required
                   if _lookup(record, parts) in (None, "")]
        if missing:
            raise Rejected("missing required field " + ", ".join(missing))
        for path, parts, kind in self.types:
            value = _lookup(record, parts)
            if value is None or value == "" or (kind == "int" and type(value) is int):
                continue
            if not _valid(value, kind):
                raise Rejected(f"field {path} is not a valid {kind}: {str(value)[:60]!r}")


def parse_json_line(raw: bytes, required: tuple[str, ...] | Checker,
                    types: dict[str, str] | None = None) -> tuple[bytes, dict]:
    """The line as JSON ready for a jsonb column, and the parsed object; or Rejected."""
    check = required if isinstance(required, Checker) else Checker(required, types)
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise Rejected(f"not UTF-8: byte {bad.start}") from None
        raise Rejected(f"malformed JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(record, dict):
        raise Rejected(f"a JSON {type(record).__name__} where an object was expected")
    if b"\\u0000" in raw:
        raise Rejected("contains a NUL character (\\u0000), which PostgreSQL cannot store")
    check(record)
    return raw, record


class _HashingReader(io.RawIOBase):
    """Passes bytes through while hashing and counting them (the file as landed)."""

    def __init__(self, inner) -> None:
        self.inner, self.sha, self.bytes = inner, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.inner.read(len(buffer))
        self.sha.update(chunk)
        self.bytes += len(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)


# A record read from a file: (line number, JSON or None, reason if rejected, original text).
Record = tuple[int, bytes | None, str | None, str]


def _jsonl_records(stream, source: Source, drift: set[str]) -> Iterator[Record]:
    known = set(source.known)
    check = Checker(source.required, source.types)
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip(b"\r\n")
        if not line or line.isspace():
            continue
        try:
            payload, record = parse_json_line(line, check)
        except Rejected as reason:
            yield number, None, str(reason), line.decode("utf-8", "backslashreplace")
            continue
        if known and not known.issuperset(record):
            drift.update(record.keys() - known)
        if b"\r" in payload:  # whitespace that would end a COPY row: write it compact
            payload = orjson.dumps(record)
        yield number, payload, None, ""


def _csv_original(row: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue().encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _crm_mapper(source: Source):
    """For the CSV CRM: its mapping's required columns, delimiter and row mapper."""
    from revwh.core.config import crm_mapping_file
    from revwh.ingest import crm_spec

    mapping = crm_spec.load_mapping(crm_mapping_file())

    def mapper(record: dict) -> dict:
        mapped, issues = crm_spec.map_row(mapping, source.entity, record)
        if issues:
            raise Rejected("; ".join(str(issue) for issue in issues))
        return {"row": record, "mapped": mapped}

    return tuple(crm_spec.required_columns(mapping, source.entity)), mapping.delimiter, mapper


def _csv_records(stream, source: Source, url: str, drift: set[str]) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    required, options, mapper = source.required, dict(source.csv_options), None
    if source.platform == "csv_crm":
        required, options["delimiter"], mapper = _crm_mapper(source)
    reader = csv.reader(text, **options)
    header = next(reader, None)
    if header is None:
        return  # an empty file: an empty day
    header = [name.strip() for name in header]
    keep = [i for i, name in enumerate(header) if name]  # drop a trailing-comma column
    names = [header[i] for i in keep]
    missing = [column for column in required if column not in names]
    if missing:
        raise LoadRejected(
            f"{source.key}: {url} lacks required column {', '.join(missing)} "
            f"(header: {', '.join(names)}); nothing was loaded for this day")
    if source.known:
        drift.update(set(names) - set(source.known))
    width = len(header)
    check = Checker(source.required, source.types)
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            yield (number, None, f"expected {width} fields, got {len(row)}", _csv_original(row))
            continue
        values = [row[i] for i in keep]
        if any("\udc80" <= ch <= "\udcff" for cell in values for ch in cell):
            yield number, None, "not UTF-8", _csv_original(row)
            continue
        record = dict(zip(names, values, strict=True))
        try:
            check(record)
            if mapper is not None:
                record = mapper(record)
        except Rejected as reason:
            yield number, None, str(reason), _csv_original(row)
            continue
        yield number, orjson.dumps(record), None, ""


def load_file(conn: psycopg.Connection, source: Source, day: date, url: str,
              run_id: str | None = None) -> LoadResult:
    """Replace the (source, day) partition of the raw table with the file's rows."""
    schema.ensure(conn)
    batch_id = f"{source.key}:{day.isoformat()}:{uuid.uuid4().hex[:12]}"
    table = sql.Identifier(source.raw_schema, source.raw_table)
    rejected: list[tuple[int, str, str]] = []
    drift: set[str] = set()
    loaded = 0
    with fsspec.open(url, "rb") as landed, conn.transaction():
        hashing = _HashingReader(landed)
        buffered = io.BufferedReader(hashing, buffer_size=1 << 20)
        stream = gzip.GzipFile(fileobj=buffered) if url.endswith(".gz") else buffered
        # Parallel runs (a backfill) may load the same partition at once, one as its own day and
        # another for its lookback window: one at a time, or both deletes would miss the other's
        # uncommitted rows and the day would be loaded twice.
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))",
                     (f"revwh.ingest.load:{source.key}:{day.isoformat()}",))
        conn.execute(sql.SQL("delete from {} where _partition_date = %s").format(table), (day,))
        conn.execute(
            sql.SQL("delete from {} where source = %s and partition_date = %s").format(
                sql.Identifier(OPS_SCHEMA, "quarantine")), (source.key, day))
        records = (_csv_records(stream, source, url, drift) if source.format == "csv"
                   else _jsonl_records(stream, source, drift))
        # CSV format with a delimiter (0x02) and quote (0x01) that valid JSON text never holds
        # unescaped: rows need no escaping, and are sent in 1 MB blocks.
        copy_sql = sql.SQL(
            "copy {} (_partition_date, _file, _line, _batch_id, record) from stdin with"
            " (format csv, delimiter e'\\x02', quote e'\\x01')").format(table)
        prefix = f"{day.isoformat()}\x02{url}\x02".encode()
        suffix = f"\x02{batch_id}\x02".encode()
        if any(ch in url for ch in "\x01\x02\r\n"):
            raise LoadRejected(f"{source.key}: a control character in the file name {url!r}")
        cursor = conn.cursor()
        try:
            # the queued writer sends blocks from its own thread while this one parses
            with cursor.copy(copy_sql, writer=_BoundedQueuedWriter(cursor)) as copy:
                block: list[bytes] = []
                size = 0
                for number, payload, reason, original in records:
                    if payload is None:
                        rejected.append((number, reason or "rejected", original))
                        continue
                    row = b"%s%d%s%s\n" % (prefix, number, suffix, payload)
                    block.append(row)
                    size += len(row)
                    loaded += 1
                    if size > 1 << 20:
                        copy.write(b"".join(block))
                        block, size = [], 0
                if block:
                    copy.write(b"".join(block))
        except (EOFError, OSError, zlib.error, csv.Error) as err:
            raise LoadRejected(
                f"{source.key}: {url} for {day} cannot be read to the end ({err}); "
                "nothing was loaded for this day") from err
        total = loaded + len(rejected)
        if len(rejected) > max(MAX_QUARANTINE_ROWS_ALWAYS_ALLOWED, MAX_QUARANTINE_SHARE * total):
            examples = "; ".join(f"line {n}: {why}" for n, why, _ in rejected[:5])
            raise LoadRejected(
                f"{source.key}: {url} for {day}: {len(rejected)} of {total} rows cannot be "
                f"parsed, more than {MAX_QUARANTINE_SHARE:.0%}; nothing was loaded. "
                f"First: {examples}")
        if rejected:
            with conn.cursor().copy(sql.SQL(
                "copy {} (source, partition_date, file_url, line_number, reason, original_text,"
                " batch_id) from stdin").format(sql.Identifier(OPS_SCHEMA, "quarantine"))) as copy:
                for number, reason, original in rejected:
                    copy.write_row((source.key, day, url, number, reason, original, batch_id))
        new_fields = tuple(sorted(drift))
        if new_fields:
            log.warning("%s: %s for %s has fields the source did not have before (kept in the "
                        "raw record): %s", source.key, url, day, ", ".join(new_fields))
        result = LoadResult(source.key, day.isoformat(), url, batch_id, hashing.sha.hexdigest(),
                            hashing.bytes, total, loaded, len(rejected), new_fields)
        conn.execute(
            sql.SQL(
                "insert into {} (batch_id, source, partition_date, file_url, file_sha256,"
                " file_bytes, rows_in_file, rows_loaded, rows_quarantined, new_fields, run_id)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(OPS_SCHEMA, "load_manifest")),
            (batch_id, source.key, day, url, result.sha256, result.bytes, total, loaded,
             len(rejected), list(new_fields), run_id))
    return result


# A raw table's planner statistics are refreshed when a load adds more than this share of its rows
# (autovacuum's default analyze threshold, but at once rather than some time later).
STATISTICS_STALE_SHARE = 0.1


def refresh_statistics(conn: psycopg.Connection, source: Source, rows_loaded: int) -> bool:
    """ANALYZE the source's raw table when it has never been analyzed or the rows just loaded
    are more than STATISTICS_STALE_SHARE of what it held at its last analysis; whether it did.

    Without statistics the planner takes a freshly loaded table for far bigger than it is and
    reads all of it where an index on the day partition would do: the dbt tests and incremental
    models that read only the lookback window's days then cost as much as the whole history.
    """
    table = f"{source.raw_schema}.{source.raw_table}"
    reltuples = conn.execute("select reltuples from pg_class where oid = %s::regclass",
                             (table,)).fetchone()[0]
    if reltuples >= 0 and rows_loaded <= STATISTICS_STALE_SHARE * reltuples:
        return False
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(source.raw_schema,
                                                             source.raw_table)))
    return True


def already_loaded(conn: psycopg.Connection, source: Source, day: date, url: str,
                   size: int) -> bool:
    """The newest load of (source, day) was this very file (landed files never change)."""
    row = conn.execute(
        "select file_url, file_bytes from ops.load_manifest where source = %s and"
        " partition_date = %s order by loaded_at desc limit 1", (source.key, day)).fetchone()
    return row is not None and row[0] == url and row[1] == size
