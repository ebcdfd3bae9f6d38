"""Helpers of the pull tests (tests/test_pull_*.py): the simulated company behind the fakes, a
fast retry policy, and raw rows of a file-drop load against a pull's load."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psycopg

from revwh.core.sources import SOURCES, Source
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull import retry
from revwh.simulate.company import SimConfig

START = date(2026, 9, 1)
CONFIG = SimConfig(start=START, days=8, seed=7, scale=0.2)
# A run of two days after the lookback window of three: every day of it has a day before it.
RUN_START = START + timedelta(days=4)
RUN_DAYS = 2


def interval(first: date = RUN_START, days: int = RUN_DAYS) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, start + timedelta(days=days)


def fast_policy(monkeypatch, timeout: float = 0.5) -> list[float]:
    """Short timeouts, and waits recorded instead of slept: the list of waits asked for."""
    monkeypatch.setenv("REVWH_PULL_TIMEOUT_SECONDS", str(timeout))
    monkeypatch.setenv("REVWH_PULL_ATTEMPTS", "4")
    monkeypatch.setenv("REVWH_PULL_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("REVWH_PULL_POLL_SECONDS", "0.01")
    waits: list[float] = []
    monkeypatch.setattr(retry, "SLEEP", waits.append)
    return waits


def raw_records(conn: psycopg.Connection, source: Source, day: date) -> list[bytes]:
    rows = conn.execute(f"select record::text from {source.raw_schema}.{source.raw_table} "
                        "where _partition_date = %s", (day,)).fetchall()
    return sorted(orjson.dumps(orjson.loads(r[0]), option=orjson.OPT_SORT_KEYS) for r in rows)


def load_both(conn: psycopg.Connection, source: Source, day: date, dropped: Path,
              pulled: Path) -> tuple[list[bytes], list[bytes], object]:
    """The day's raw rows loaded from the file drop, then from the pull (with its result)."""
    load_file(conn, source, day, locate(source, day, str(dropped)).url)
    from_files = raw_records(conn, source, day)
    result = load_file(conn, source, day, locate(source, day, str(pulled)).url)
    from_pull = raw_records(conn, source, day)
    return from_files, from_pull, result


def sources_of(platform: str) -> list[Source]:
    return [s for s in SOURCES.values() if s.platform == platform]


def landed_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def assert_same_raw_rows(conn, platform: str, dropped: Path, pulled: Path,
                         days: list[date]) -> dict[str, int]:
    """For every source of the platform and day the file drop has: the pull's raw rows are the
    file drop's, row for row. Returns the rows compared per source."""
    compared: dict[str, int] = {}
    for source in sources_of(platform):
        for day in days:
            if locate(source, day, str(dropped), required=False) is None:
                continue
            from_files, from_pull, _ = load_both(conn, source, day, dropped, pulled)
            assert from_pull == from_files, f"{source.key} {day}: the pull's rows differ"
            compared[source.key] = compared.get(source.key, 0) + len(from_pull)
    return compared


def with_new_field(monkeypatch, entity: str, field: str = "newMetric") -> None:
    """The fakes' records of an entity gain a field the source never had (schema drift)."""
    from revwh.simulate.fakes.store import SimStore

    original = SimStore.records

    def records(self, platform, name, day):
        for record in original(self, platform, name, day):
            yield {**record, field: 1} if name == entity else record

    monkeypatch.setattr(SimStore, "records", records)
