"""The gate: Great Expectations validates the audit marts, in the database, for the run's days.

The suites (revwh.gate.suites: generated from the lead definition contract, reconciliation against
raw, hand-written) run through a GX SQL data source: every check compiles to SQL in the
warehouse, no table is pulled into pandas. A ``table`` suite validates its whole mart (one
whole-table batch); a ``day`` suite validates each day of the run's interval, chosen with batch
parameters (GX's default, the latest batch, would make a backfill check the wrong day).

Every check's outcome goes to ``ops.audit_results``; the validation results, the suites and GX
Data Docs go to the run's evidence folder (revwh.gate.evidence). Any failure raises AuditFailed
naming each failed expectation with example rows, and nothing is published.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

from revwh.core.config import AUDIT_SCHEMA, apply_telemetry_off
from revwh.core.errors import AuditFailed
from revwh.core.intervals import days_in
from revwh.gate import evidence
from revwh.gate.spec import SuiteSpec
from revwh.gate.suites import all_suites
from revwh.warehouse.connection import connect, warehouse_url

log = logging.getLogger(__name__)

GX_URL_VARIABLE = "REVWH_GX_URL"  # GX reads the connection string from here, never from a file
EXAMPLES = 5  # example values or rows per failed check in the message (20 kept in ops)


@dataclass
class Check:
    suite: str
    day: date | None  # None: the whole mart
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    note: str | None = None
    description: str | None = None

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        scope = f"[{self.day}]" if self.day else "[whole mart]"
        what = f"{self.expectation}" + (f" ({self.description})" if self.description else "")
        if self.note:
            detail = self.note
        elif self.unexpected_count is not None:
            detail = f"{self.unexpected_count} unexpected, e.g. {self.examples[:EXAMPLES]}"
        else:
            detail = f"observed {self.examples}"
        return f"{where} {scope} {what}: {detail}"


@dataclass
class AuditReport:
    checks: list[Check]
    evidence: Path | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(check.success for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.success]


def _sqlalchemy_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql+psycopg2://" + rest if scheme in ("postgresql", "postgres") else url


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _exception(info: dict | None) -> str | None:
    """The error of an expectation that could not run (GX keys it by metric for SQL checks)."""
    if not info:
        return None
    found = [info] if "raised_exception" in info else [
        value for value in info.values() if isinstance(value, dict)]
    for item in found:
        if item.get("raised_exception"):
            return "could not run: " + str(item.get("exception_message"))[:500]
    return None


def _checks(spec: SuiteSpec, day: date | None, result: Any) -> list[Check]:
    checks = []
    for outcome in result.results:
        config = outcome.expectation_config
        details = outcome.result or {}
        meta = config.meta or {}
        column = (config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []))
                  or meta.get("check"))
        note = _exception(outcome.exception_info)
        if config.type == "unexpected_rows_expectation":
            rows = (details.get("details") or {}).get("unexpected_rows") or []
            count, examples = details.get("observed_value"), [_plain(row) for row in rows]
        elif "unexpected_count" in details:
            count, examples = details["unexpected_count"], list(
                details.get("partial_unexpected_list") or [])
        else:
            count, examples = None, [details.get("observed_value")]
        checks.append(Check(spec.name, day, config.type, column or None,
                            success=bool(outcome.success), unexpected_count=count,
                            examples=examples, note=note, description=config.description))
    return checks


def run_audit(interval_start: datetime, interval_end: datetime, run_id: str,
              url: str | None = None, schema: str = AUDIT_SCHEMA,
              range_batches: bool = False) -> AuditReport:
    """Validate every suite on the audit marts for the interval; raise AuditFailed on any
    failure. Results go to ops.audit_results and the run's evidence folder either way.

    range_batches: the day suites check the whole interval in one batch, not one batch a day
    (a history load's audit of months or years: revwh.ops.history)."""
    began = time.monotonic()
    apply_telemetry_off()
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.datasource.fluent.interfaces import TestConnectionError
    from great_expectations.exceptions.exceptions import NoAvailableBatchesError

    url = url or warehouse_url()
    days = days_in(interval_start, interval_end)
    specs = all_suites(days, schema, url, range_batches=range_batches)
    os.environ[GX_URL_VARIABLE] = _sqlalchemy_url(url)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    evidence.start_gx(context, run_id)
    source = context.data_sources.add_postgres(
        name="warehouse", connection_string="${" + GX_URL_VARIABLE + "}")
    gx_run = RunIdentifier(run_name=run_id, run_time=datetime.now().astimezone())
    assets: dict[str, Any] = {}
    checks: list[Check] = []
    results: list[tuple[str, Any]] = []
    missing = ""
    for spec in specs:
        if spec.skip_reason:  # its mart's sources are not in this run: recorded, not run
            checks += [Check(spec.name, day, "skipped", spec.interval_column, success=True,
                             note=f"not run: {spec.skip_reason}")
                       for day in (days if spec.scope == "day" else [None])]
            continue
        if spec.table not in assets:
            try:
                with warnings.catch_warnings():
                    # GX prefers the schema in the connection's search path; the marts are
                    # named with their schema instead, so the raw and ops tables the
                    # reconciliation reads stay where they are
                    warnings.filterwarnings("ignore", "`schema_name` is deprecated",
                                            DeprecationWarning)
                    assets[spec.table] = source.add_table_asset(
                        name=spec.table, table_name=spec.table, schema_name=schema)
            except TestConnectionError as err:
                assets[spec.table] = None
                missing = str(err).split("\n")[0][:300]
        asset = assets[spec.table]
        if asset is None:
            checks.append(Check(spec.name, None, "table_exists", None, success=False,
                                note=f"{schema}.{spec.table} cannot be read: {missing}"))
            continue
        if spec.scope == "table":
            batches = asset.add_batch_definition_whole_table(name=spec.name)
        else:
            # GX infers a column's type from its rows: on an empty mart a daily batch
            # definition fails ("... is not a date or datetime type"), so an empty mart's
            # per-day suite is not run, its reason recorded (a failure if it needs rows)
            empty = _empty(url, schema, spec.table, spec.interval_column)
            if empty is None:
                try:
                    batches = asset.add_batch_definition_daily(name=spec.name,
                                                               column=spec.interval_column)
                except Exception as err:  # noqa: BLE001 - any GX refusal is a recorded check
                    empty = (f"{schema}.{spec.table}.{spec.interval_column} cannot be batched "
                             f"by day: {str(err).splitlines()[0][:300]}")
                    checks += [Check(spec.name, day, "rows_for_interval",
                                     spec.interval_column, success=False, note=empty)
                               for day in days]
                    continue
            else:
                checks += [Check(spec.name, day, "rows_for_interval" if spec.rows_required
                                 else "skipped", spec.interval_column,
                                 success=not spec.rows_required,
                                 note=empty + ("" if spec.rows_required
                                               else ": its suite did not run"))
                           for day in days]
                continue
        suite = context.suites.add(ExpectationSuite(
            name=spec.name, expectations=spec.expectations, meta=spec.to_json()["meta"]))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batches, suite=suite))
        # unexpected rows come back whole only with COMPLETE (at most 200 rows a check); the
        # column checks keep SUMMARY, which samples 20 values instead of listing them all
        result_format = "COMPLETE" if all(
            e["type"] == "unexpected_rows_expectation" for e in spec.expectations) else "SUMMARY"
        log.debug("validating %s (%s)", spec.name, spec.scope)
        if spec.scope == "table":
            result = validation.run(result_format=result_format, run_id=gx_run)
            results.append((spec.name, result))
            checks += _checks(spec, None, result)
            continue
        for day in days:
            parameters, note = spec.parameters(day) if spec.parameters else ({}, None)
            if parameters is None:
                checks.append(Check(spec.name, day, "skipped", spec.interval_column,
                                    success=True, note=note))
                continue
            try:
                result = validation.run(
                    batch_parameters={"year": day.year, "month": day.month, "day": day.day},
                    expectation_parameters=parameters or None, result_format=result_format,
                    run_id=gx_run)
            except NoAvailableBatchesError:
                checks.append(Check(
                    spec.name, day, "rows_for_interval", spec.interval_column,
                    success=not spec.rows_required,
                    note=f"no rows for {day} in {schema}.{spec.table}: its suite did not run"))
                continue
            results.append((f"{spec.name}__{day.isoformat()}", result))
            checks += _checks(spec, day, result)
    index = evidence.write_gx(context, run_id, [spec.to_json() for spec in specs], results)
    report = AuditReport(checks, index)
    _record(report, interval_start, interval_end, run_id, url)
    seconds = report.seconds = time.monotonic() - began  # all of it: GX, checks, evidence
    link = evidence.link(index)
    if report.failed:
        raise AuditFailed(
            f"audit of {schema} for [{interval_start}, {interval_end}) failed "
            f"{len(report.failed)} of {len(checks)} checks; nothing was published:\n  "
            + "\n  ".join(check.describe() for check in report.failed)
            + f"\nEvidence (GX Data Docs and validation results): {link}")
    for check in checks:
        if check.success and check.note:
            log.info("note: %s", check.describe())
    log.debug("audit passed: %d checks in %.1f s", len(checks), seconds)
    return report


def _empty(url: str, schema: str, table: str, column: str | None) -> str | None:
    """Why a mart cannot be batched by day (no rows with a day), or None when it can."""
    from psycopg import sql

    with connect(url) as conn:
        row = conn.execute(sql.SQL("select 1 from {} where {} is not null limit 1").format(
            sql.Identifier(schema, table), sql.Identifier(column or ""))).fetchone()
    return None if row else f"{schema}.{table} has no rows with a {column}"


def _record(report: AuditReport, start: datetime, end: datetime, run_id: str, url: str) -> None:
    from revwh.warehouse import schema as warehouse_schema

    with connect(url) as conn:
        warehouse_schema.ensure(conn)
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "insert into ops.audit_results (run_id, interval_start, interval_end, suite,"
                " expectation, column_name, success, unexpected_count, examples, batch_day,"
                " description, evidence) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(run_id, start, end, c.suite, c.expectation, c.column, c.success,
                  c.unexpected_count,
                  Jsonb([_plain(x) for x in c.examples[:20]] if c.examples
                        else ([c.note] if c.note else [])),
                  c.day, c.description or c.note, str(report.evidence or ""))
                 for c in report.checks])
