"""Load one landed file into its raw table: streamed with COPY, idempotent per (source, day).

In one transaction: the day's earlier rows (and quarantined rows) for the source are deleted,
the file is streamed line by line into ``raw.<source>`` with COPY, rows that cannot be parsed go
to ``ops.quarantine`` with the reason and their original text, and ``ops.load_manifest``
records the file's checksum and row counts (rows in file = rows loaded + rows quarantined).
Memory stays flat whatever the file size; only rejected rows are held until the end.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date

import fsspec
import psycopg
from psycopg import sql

from revwh import schema
from revwh.config import OPS_SCHEMA, RAW_SCHEMA
from revwh.errors import LoadRejected
from revwh.sources import Source

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

    def to_dict(self) -> dict:
        return asdict(self)


class _Rejected(ValueError):
    pass


def _reject_constant(name: str) -> float:
    raise _Rejected(f"{name} is not valid JSON")


def _lookup(record: dict, dotted: str) -> object:
    value: object = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def parse_line(raw: bytes, required: tuple[str, ...]) -> str:
    """The line as JSON text ready for a jsonb column, or _Rejected with the reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _Rejected(f"not UTF-8: byte {err.start}") from None
    if "\\u0000" in text:
        raise _Rejected("contains a NUL character (\\u0000), which PostgreSQL cannot store")
    try:
        record = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise _Rejected(f"malformed JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(record, dict):
        raise _Rejected(f"a JSON {type(record).__name__} where an object was expected")
    missing = [path for path in required if _lookup(record, path) in (None, "")]
    if missing:
        raise _Rejected("missing required field " + ", ".join(missing))
    return text


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


def _lines(stream) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def load_file(conn: psycopg.Connection, source: Source, day: date, url: str,
              run_id: str | None = None) -> LoadResult:
    """Replace the (source, day) partition of the raw table with the file's rows."""
    schema.ensure(conn)
    batch_id = f"{source.key}:{day.isoformat()}:{uuid.uuid4().hex[:12]}"
    table = sql.Identifier(RAW_SCHEMA, source.raw_table)
    rejected: list[tuple[int, str, str]] = []
    loaded = 0
    with fsspec.open(url, "rb") as landed, conn.transaction():
        hashing = _HashingReader(landed)
        buffered = io.BufferedReader(hashing, buffer_size=1 << 20)
        stream = gzip.GzipFile(fileobj=buffered) if url.endswith(".gz") else buffered
        conn.execute(sql.SQL("delete from {} where _partition_date = %s").format(table), (day,))
        conn.execute(
            sql.SQL("delete from {} where source = %s and partition_date = %s").format(
                sql.Identifier(OPS_SCHEMA, "quarantine")), (source.key, day))
        copy_sql = sql.SQL(
            "copy {} (_partition_date, _file, _line, _batch_id, record) from stdin").format(table)
        try:
            with conn.cursor().copy(copy_sql) as copy:
                for number, line in _lines(stream):
                    try:
                        text = parse_line(line, source.required)
                    except _Rejected as reason:
                        rejected.append((number, str(reason),
                                         line.decode("utf-8", "backslashreplace")))
                        continue
                    copy.write_row((day, url, number, batch_id, text))
                    loaded += 1
        except (EOFError, OSError, zlib.error) as err:
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
        result = LoadResult(source.key, day.isoformat(), url, batch_id, hashing.sha.hexdigest(),
                            hashing.bytes, total, loaded, len(rejected))
        conn.execute(
            sql.SQL(
                "insert into {} (batch_id, source, partition_date, file_url, file_sha256,"
                " file_bytes, rows_in_file, rows_loaded, rows_quarantined, run_id)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(OPS_SCHEMA, "load_manifest")),
            (batch_id, source.key, day, url, result.sha256, result.bytes, total, loaded,
             len(rejected), run_id))
    return result
