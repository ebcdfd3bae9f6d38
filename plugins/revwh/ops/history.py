"""The initial load of an export that spans months or years (``revwh history``).

Running the nightly DAG once per day of a long history would build, audit and publish the
marts once per day. A history load instead, write-audit-publish as the nightly run:

1. finds every landed day of the range for each source, with the nightly's own extract code
   (revwh.ingest.extract); a day with no file is not an error here (an export need not cover
   every source every day), a range with no file at all is;
2. loads each (source, day) into its raw table with the nightly's loader (revwh.ingest.load,
   one transaction per partition, quarantine, manifest), several partitions at once in worker
   processes (different partitions never touch the same rows);
3. takes the build lease as a run of its own (``history__<first>__<last>``), builds ONCE with
   ``dbt build --full-refresh``, audits the whole range (the privacy check, then every suite of
   the gate over the range: revwh.gate.runner with ``range_batches``), and publishes only if
   the audit passed. A failure anywhere leaves ``marts`` as it was.

Days before the DAG's first day (REVWH_START_DATE) are what it is for: the nightly DAG refuses
them (revwh.ops.pipeline.check_interval).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context

from revwh.core.config import settings
from revwh.core.errors import WarehouseError
from revwh.core.sources import SOURCES, enabled_sources
from revwh.ingest import extract, load
from revwh.warehouse import lease, schema
from revwh.warehouse.connection import connect

log = logging.getLogger(__name__)


class HistoryError(WarehouseError):
    """A history load that cannot start or did not finish (nothing was published)."""


@dataclass
class HistoryResult:
    run_id: str
    first: date
    last: date
    files: int = 0
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)  # source: days without a file
    audit: dict = field(default_factory=dict)
    published: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_id_for(first: date, last: date) -> str:
    return f"history__{first.isoformat()}__{last.isoformat()}"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _load_one(key: str, day: str, url: str, run_id: str) -> dict:
    """One partition, in a worker process (its own connection; the environment is this
    process's, as it was when the workers started)."""
    with connect() as conn:
        return load.load_file(conn, SOURCES[key], date.fromisoformat(day), url,
                              run_id=run_id).to_dict()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def load_range(first: date, last: date, run_id: str, landing_url: str | None = None,
               platforms: list[str] | None = None, workers: int | None = None,
               report: Callable[[str], None] = log.info) -> HistoryResult:
    """Steps 1 and 2: locate and load every landed (source, day) of [first, last]."""
    if last < first:
        raise HistoryError(f"the history's last day {last} is before its first day {first}")
    landing = landing_url or settings().landing_url
    sources = [s for s in enabled_sources().values()
               if not platforms or s.platform in platforms]
    if platforms and {p for p in platforms} - {s.platform for s in sources}:
        unknown = sorted(set(platforms) - {s.platform for s in sources})
        raise HistoryError(f"unknown or disabled platforms: {', '.join(unknown)}")
    result = HistoryResult(run_id, first, last)
    began = time.monotonic()
    found = []
    for source in sources:
        for day in _days(first, last):
            landed = extract.locate(source, day, landing, required=False)
            if landed is None:
                result.missing[source.key] = result.missing.get(source.key, 0) + 1
            else:
                found.append(landed)
    if not found:
        raise HistoryError(f"no extract landed in {landing} for any day from {first} to {last}"
                           f" (sources: {', '.join(s.key for s in sources)})")
    result.files = len(found)
    # largest first, so the workers finish together
    found.sort(key=lambda landed: -landed.size)
    with connect() as conn:
        schema.ensure(conn)
    workers = workers or default_workers()
    report(f"loading {len(found)} files ({sum(f.size for f in found) / 1e6:,.0f} MB) from "
           f"{landing} with {workers} worker{'s' if workers > 1 else ''} ...")
    loaded: dict[str, int] = defaultdict(int)
    quarantined: dict[str, int] = defaultdict(int)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_load_one, f.source, f.day, f.url, run_id)
                   for f in found]
        for future in as_completed(futures):
            done = future.result()  # a rejected file fails the history load, naming it
            loaded[done["source"]] += done["rows_loaded"]
            quarantined[done["source"]] += done["rows_quarantined"]
    with connect() as conn:
        for key, rows in loaded.items():
            load.refresh_statistics(conn, SOURCES[key], rows)
    result.rows_loaded = dict(sorted(loaded.items()))
    result.rows_quarantined = dict(sorted(quarantined.items()))
    result.seconds["load"] = round(time.monotonic() - began, 1)
    return result


def load_history(first: date, last: date, landing_url: str | None = None,
                 platforms: list[str] | None = None, workers: int | None = None,
                 report: Callable[[str], None] = log.info) -> HistoryResult:
    """Load, build once, audit the range and publish: nothing is published if a step fails."""
    from revwh.ops import pipeline

    run_id = run_id_for(first, last)
    result = load_range(first, last, run_id, landing_url, platforms, workers, report)
    report(f"loaded {sum(result.rows_loaded.values()):,} rows from {result.files} files in "
           f"{result.seconds['load']:.0f}s")
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    with connect() as conn:
        holder = lease.claim(conn, run_id)
    if holder is not None:
        raise HistoryError(f"the build lease of the audit schema is held by run {holder}: wait "
                           "for it to finish (or for BUILD_LEASE_STALE_MINUTES), then run the "
                           "history again; its loads are kept and reload the same rows")
    try:
        began = time.monotonic()
        report("dbt build --full-refresh (once, for the whole history) ...")
        pipeline.build_marts(full_refresh=True)
        result.seconds["build"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        report(f"auditing {first} to {last} ...")
        result.audit = pipeline.audit_marts(start, end, run_id, range_batches=True)
        result.seconds["audit"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        result.published = pipeline.publish_marts(start, end, run_id)
        result.seconds["publish"] = round(time.monotonic() - began, 1)
    finally:
        with connect() as conn:
            lease.release(conn, run_id)
    return result


def describe(result: HistoryResult) -> str:
    lines = [f"history {result.first} to {result.last} (run {result.run_id}):"]
    for key, rows in result.rows_loaded.items():
        lines.append(f"  loaded {key:<34} {rows:>9,} rows  "
                     f"{result.rows_quarantined.get(key, 0):>5} quarantined")
    for key, days in result.missing.items():
        lines.append(f"  no file for {key} on {days} day{'s' if days > 1 else ''}")
    if result.audit:
        lines.append(f"  audit: {result.audit['passed']} of {result.audit['checks']} checks "
                     f"passed; evidence {result.audit.get('gx_docs', '')}")
    lines.append(f"  published {len(result.published)} marts, "
                 f"{sum(result.published.values()):,} rows")
    lines.append("  seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in result.seconds.items()))
    return "\n".join(lines)
