"""The nightly pipeline's steps, one function per DAG task, each over one data interval.

The DAG (dags/revenue_nightly.py) only wires these together; tests call them directly.
"""

from __future__ import annotations

import logging
from datetime import datetime

from revwh import extract, load, publish, quality, transform
from revwh.config import settings
from revwh.intervals import days_in
from revwh.sources import SOURCES
from revwh.warehouse import connect

log = logging.getLogger(__name__)


def extract_source(source_key: str, start: datetime, end: datetime,
                   landing_url: str | None = None) -> list[dict]:
    """Locate the source's landed file for each day of the interval (fails if one is missing)."""
    source = SOURCES[source_key]
    landing = landing_url or settings().landing_url
    files = [extract.locate(source, day, landing).to_dict() for day in days_in(start, end)]
    for landed in files:
        log.info("%s: found %s (%d bytes)", source_key, landed["url"], landed["size"])
    return files


def load_source(source_key: str, files: list[dict], run_id: str | None = None) -> list[dict]:
    """Load each located file into the raw table, replacing its (source, day) partition."""
    from datetime import date

    source = SOURCES[source_key]
    results = []
    with connect() as conn:
        for landed in files:
            result = load.load_file(conn, source, date.fromisoformat(landed["day"]),
                                    landed["url"], run_id=run_id)
            log.info("%s %s: %d rows loaded, %d quarantined (sha256 %s)", source_key,
                     result.day, result.rows_loaded, result.rows_quarantined, result.sha256[:12])
            results.append(result.to_dict())
    return results


def build_marts(full_refresh: bool = False) -> dict:
    """dbt build: staging, intermediate and the marts (into the audit schema), with tests."""
    args = ["build"] + (["--full-refresh"] if full_refresh else [])
    result = transform.run_dbt(args)
    return {"command": result.command, "nodes": result.nodes}


def audit_marts(start: datetime, end: datetime, run_id: str) -> dict:
    report = quality.run_audit(start, end, run_id)
    log.info("audit passed: %d of %d checks", report.passed, len(report.checks))
    return {"checks": len(report.checks), "passed": report.passed}


def publish_marts(start: datetime, end: datetime, run_id: str) -> dict[str, int]:
    published = publish.publish(run_id, start, end)
    for mart, rows in published.items():
        log.info("published marts.%s: %d rows", mart, rows)
    return published


def summarize(start: datetime, end: datetime, loads: list[list[dict]], audit: dict,
              published: dict[str, int]) -> str:
    """A short run summary for the task log."""
    lines = [f"Run summary for [{start.isoformat()}, {end.isoformat()})"]
    for results in loads:
        for result in results:
            lines.append(f"  loaded {result['source']:<28} {result['day']}  "
                         f"{result['rows_loaded']:>8} rows  {result['rows_quarantined']:>4} "
                         "quarantined")
    for mart, rows in published.items():
        lines.append(f"  published marts.{mart:<26} {rows:>8} rows")
    lines.append(f"  checks passed: {audit['passed']} of {audit['checks']}")
    text = "\n".join(lines)
    log.info("%s", text)
    return text
