"""The nightly pipeline's steps, one function per DAG task, each over one data interval.

The DAG (dags/revenue_nightly.py) only wires these together; tests call them directly.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from revwh.core.config import before_start_message, pull_mode, settings, start_date
from revwh.core.errors import BeforeFirstDay
from revwh.core.intervals import days_in
from revwh.core.sources import SOURCES, Source, enabled_sources, missing_sources
from revwh.gate import evidence, privacy, runner
from revwh.ingest import extract, load
from revwh.ingest.pull import runner as pull
from revwh.ops import connections, retention
from revwh.publish import marts
from revwh.transform import dbt_runner
from revwh.warehouse import lease, schema
from revwh.warehouse.connection import connect

log = logging.getLogger(__name__)


def check_interval(start: datetime, end: datetime) -> list[str]:
    """The DAG's first task: refuse an interval that begins before the DAG's first day
    (REVWH_START_DATE), so such a run fails, naming the setting, instead of succeeding with
    nothing loaded. The interval's days, as ISO dates."""
    days = days_in(start, end)
    if days[0] < start_date():
        raise BeforeFirstDay(before_start_message(days[0]))
    return [day.isoformat() for day in days]


def platform_sources(platform: str) -> list[Source]:
    return [s for s in enabled_sources().values() if s.platform == platform]


def pull_platform(platform: str, start: datetime, end: datetime,
                  landing_url: str | None = None, tag: str | None = None) -> list[dict] | None:
    """Pull the platform's API into the landing zone (REVWH_PULL_<PLATFORM>=api): the interval's
    days and each source's lookback days, landed all or nothing, as the file drop lands them.
    None when the platform is a file drop (the default): another tool lands its files."""
    if pull_mode(platform) != "api":
        log.info("%s: file drop (REVWH_PULL_%s=file): nothing to pull", platform,
                 platform.upper())
        return None
    landing = landing_url or settings().landing_url
    landed = pull.pull(platform, start, end, connections.credentials(platform), landing,
                       platform_sources(platform), tag=tag)
    log.info("%s: %d files pulled (%d new, %d later pulls, %d unchanged)", platform,
             len(landed), sum(f["status"] == "new" for f in landed),
             sum(f["status"] == "version" for f in landed),
             sum(f["status"] == "unchanged" for f in landed))
    return landed


def extract_platform(platform: str, start: datetime, end: datetime,
                     landing_url: str | None = None) -> list[dict]:
    """Locate each of the platform's entities' files: every day of the interval (a missing one
    fails the task) and the lookback window's days before it (for restatements)."""
    landing = landing_url or settings().landing_url
    days = days_in(start, end)
    files = []
    for source in platform_sources(platform):
        for landed in extract.locate_interval(source, days, landing):
            log.info("%s %s: found %s (%d bytes)%s", source.key, landed.day, landed.url,
                     landed.size, "" if landed.in_interval else " [lookback]")
            files.append(landed.to_dict())
    return files


def load_platform(platform: str, files: list[dict], run_id: str | None = None) -> list[dict]:
    """Load each located file into its raw table, replacing its (source, day) partition.

    The interval's own days always reload (a rerun replaces them); a lookback day reloads only
    when a newer pull of it has landed since its last load.
    """
    results = []
    loaded: dict[str, int] = {}
    with connect() as conn:
        schema.ensure(conn)
        for landed in files:
            source = SOURCES[landed["source"]]
            day = date.fromisoformat(landed["day"])
            if not landed["in_interval"] and load.already_loaded(
                    conn, source, day, landed["url"], landed["size"]):
                log.info("%s %s: unchanged since its last load, skipped", source.key, day)
                continue
            result = load.load_file(conn, source, day, landed["url"], run_id=run_id)
            log.info("%s %s: %d rows loaded, %d quarantined (sha256 %s)%s", source.key,
                     result.day, result.rows_loaded, result.rows_quarantined, result.sha256[:12],
                     f"; new fields: {', '.join(result.new_fields)}" if result.new_fields else "")
            results.append(result.to_dict())
            loaded[source.key] = loaded.get(source.key, 0) + result.rows_loaded
        for key, rows in loaded.items():
            if load.refresh_statistics(conn, SOURCES[key], rows):
                log.info("%s: planner statistics refreshed", key)
    return results


def claim_build(run_id: str) -> bool:
    """Take the build lease of the audit schema for this run; False while another run holds it
    (the DAG's claim_build sensor asks again a few seconds later)."""
    with connect() as conn:
        holder = lease.claim(conn, run_id)
    if holder is not None:
        log.info("the audit schema is being built, audited and published by run %s: waiting",
                 holder)
        return False
    log.info("build lease of the audit schema claimed by run %s", run_id)
    return True


def release_build(run_id: str) -> bool:
    """Give the build lease back (the DAG's teardown: after the publish, or after a failure)."""
    with connect() as conn:
        released = lease.release(conn, run_id)
    log.info("build lease %s", "released" if released else f"was not held by run {run_id}")
    return released


def build_marts(full_refresh: bool = False) -> dict:
    """dbt build: staging, intermediate and the marts (into the audit schema), with tests, as
    one dbt command (the DAG runs it as one Cosmos task per model: revwh.transform.cosmos_build)."""
    args = ["build"] + (["--full-refresh"] if full_refresh else [])
    result = dbt_runner.run_dbt(args)
    return {"command": result.command, "nodes": result.nodes}


def audit_marts(start: datetime, end: datetime, run_id: str, range_batches: bool = False) -> dict:
    """The gate: dbt docs of the build into the run's evidence folder (its manifest, in the dbt
    target folder, names the audit marts the publish copies), then the privacy check and the GX
    audit of the audit marts for the interval (raises AuditFailed, naming the failures and
    linking the evidence, when anything fails)."""
    with connect() as conn:
        lease.require(conn, run_id, "audit")
    retention.apply(run_id)  # bounded disk: old evidence and logs go, never this run's
    dbt_docs = document_build(run_id)
    log.info("dbt docs of this build: %s", evidence.link(dbt_docs))
    checked = privacy.check_marts(marts.audited_marts())  # no personal data for BI
    log.info("privacy: no emails, names or phone numbers in the %d marts", checked)
    report = runner.run_audit(start, end, run_id, range_batches=range_batches)
    gx_docs = evidence.link(report.evidence) if report.evidence else ""
    log.info("audit passed: %d of %d checks in %.1f s; GX Data Docs: %s", report.passed,
             len(report.checks), report.seconds, gx_docs)
    return {"checks": len(report.checks), "passed": report.passed,
            "seconds": round(report.seconds, 1), "gx_docs": gx_docs,
            "dbt_docs": evidence.link(dbt_docs)}


def document_build(run_id: str) -> Path:
    """dbt docs generate (the build's manifest and the warehouse's catalog), kept with the
    run's evidence; the page to open. The model tasks build in temporary copies of the
    project (Cosmos), so the manifest is parsed here first (docs --no-compile reads it)."""
    dbt_runner.run_dbt(["parse"])
    dbt_runner.run_dbt(["docs", "generate", "--static", "--no-compile"])
    return evidence.copy_dbt_docs(run_id)


def publish_marts(start: datetime, end: datetime, run_id: str) -> dict[str, int]:
    published = marts.publish(run_id, start, end, require_lease=True)
    for mart, rows in published.items():
        log.info("published marts.%s: %d rows", mart, rows)
    return published


def summarize(start: datetime, end: datetime, loads: list[list[dict]], audit: dict,
              published: dict[str, int]) -> str:
    """A short run summary for the task log, with a note for each mart a source left out of
    the run (PLATFORMS) leaves empty."""
    lines = [f"Run summary for [{start.isoformat()}, {end.isoformat()})"]
    for results in loads:
        for result in results or []:  # None: the platform was not in this run (skipped)
            drift = f"  new fields: {', '.join(result['new_fields'])}" \
                if result.get("new_fields") else ""
            lines.append(f"  loaded {result['source']:<34} {result['day']}  "
                         f"{result['rows_loaded']:>8} rows  {result['rows_quarantined']:>4} "
                         f"quarantined{drift}")
    for mart, rows in published.items():
        lines.append(f"  published marts.{mart:<26} {rows:>8} rows")
    for note in missing_sources().values():  # marts that need a source the run left out
        lines.append(f"  note: {note}")
    lines.append(f"  checks passed: {audit['passed']} of {audit['checks']}")
    if audit.get("gx_docs"):
        lines.append(f"  evidence: {audit['gx_docs']} (GX), {audit['dbt_docs']} (dbt)")
    text = "\n".join(lines)
    log.info("%s", text)
    return text
