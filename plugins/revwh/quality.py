"""The audit: Great Expectations suites run in the database on exactly the run's interval.

Suites live in ``expectations/suites`` (see its README). GX validates the marts in the audit
schema through a SQL data source (the checks compile to SQL; no table is pulled into pandas),
one batch per day of the interval, chosen with batch parameters: GX's default, the latest batch,
would make a backfill check the wrong day.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from psycopg.types.json import Jsonb

from revwh.config import AUDIT_SCHEMA, DBT_PROJECT_DIR, EXPECTATIONS_DIR, apply_telemetry_off
from revwh.errors import AuditFailed
from revwh.intervals import days_in
from revwh.warehouse import connect, warehouse_url

SUITES_DIR = EXPECTATIONS_DIR / "suites"
GX_URL_VARIABLE = "REVWH_GX_URL"  # GX reads the connection string from here, never from a file


@dataclass
class Check:
    suite: str
    day: date
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    note: str | None = None

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        detail = self.note or (
            f"{self.unexpected_count} unexpected, e.g. {self.examples[:5]}"
            if self.unexpected_count is not None else f"observed {self.examples}")
        return f"{where} [{self.day}] {self.expectation}: {detail}"


@dataclass
class AuditReport:
    checks: list[Check]

    @property
    def passed(self) -> int:
        return sum(check.success for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.success]


def _seed_values(seed: str, column: str) -> list[str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{seed}.csv"
    with open(path, newline="") as handle:
        return sorted({row[column] for row in csv.DictReader(handle)})


def _contract_values(name: str) -> list[str]:
    from revwh import contract

    if name == "channels":
        return sorted(contract.channels())
    raise ValueError(f"unknown contract value set {name!r}")


def _resolve(kwargs: dict) -> dict:
    resolved = dict(kwargs)
    value_set = resolved.get("value_set")
    if isinstance(value_set, dict) and "$seed" in value_set:
        resolved["value_set"] = _seed_values(value_set["$seed"], value_set["column"])
    elif isinstance(value_set, dict) and "$contract" in value_set:
        resolved["value_set"] = _contract_values(value_set["$contract"])
    return resolved


def load_suite_specs(folder: Path = SUITES_DIR) -> list[dict]:
    specs = []
    for path in sorted(folder.glob("*.json")):
        spec = json.loads(path.read_text())
        for required in ("table", "interval_column"):
            if required not in spec.get("meta", {}):
                raise ValueError(f"{path}: meta.{required} is missing")
        spec["expectations"] = [{**e, "kwargs": _resolve(e["kwargs"])}
                                for e in spec["expectations"]]
        specs.append(spec)
    return specs


def _sqlalchemy_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "postgresql+psycopg2://" + rest if scheme in ("postgresql", "postgres") else url


def run_audit(interval_start: datetime, interval_end: datetime, run_id: str,
              url: str | None = None, schema: str = AUDIT_SCHEMA) -> AuditReport:
    """Validate every suite on each day of the interval; raise AuditFailed on any failure."""
    apply_telemetry_off()
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.exceptions.exceptions import NoAvailableBatchesError

    url = url or warehouse_url()
    os.environ[GX_URL_VARIABLE] = _sqlalchemy_url(url)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_postgres(
        name="warehouse", connection_string="${" + GX_URL_VARIABLE + "}")
    checks: list[Check] = []
    days = days_in(interval_start, interval_end)
    for spec in load_suite_specs():
        meta = spec["meta"]
        asset = source.add_table_asset(name=spec["name"], table_name=meta["table"],
                                       schema_name=schema)
        batches = asset.add_batch_definition_daily(name="by_day", column=meta["interval_column"])
        suite = context.suites.add(ExpectationSuite(name=spec["name"],
                                                    expectations=spec["expectations"]))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{spec['name']}_by_day", data=batches, suite=suite))
        for day in days:
            try:
                result = validation.run(
                    batch_parameters={"year": day.year, "month": day.month, "day": day.day},
                    result_format="SUMMARY")
            except NoAvailableBatchesError:
                checks.append(Check(
                    spec["name"], day, "rows_for_interval", meta["interval_column"],
                    success=not meta.get("rows_required", False),
                    note=f"no rows for {day} in {schema}.{meta['table']}"))
                continue
            for outcome in result.results:
                config = outcome.expectation_config
                details = outcome.result or {}
                checks.append(Check(
                    spec["name"], day, config.type,
                    config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", [])),
                    success=bool(outcome.success),
                    unexpected_count=details.get("unexpected_count"),
                    examples=list(details.get("partial_unexpected_list") or [])
                    if "unexpected_count" in details else [details.get("observed_value")],
                ))
    report = AuditReport(checks)
    _record(report, interval_start, interval_end, run_id, url)
    if report.failed:
        raise AuditFailed(
            f"audit of {schema} for [{interval_start}, {interval_end}) failed "
            f"{len(report.failed)} of {len(checks)} checks; nothing was published:\n  "
            + "\n  ".join(check.describe() for check in report.failed))
    return report


def _record(report: AuditReport, start: datetime, end: datetime, run_id: str, url: str) -> None:
    from revwh import schema as warehouse_schema

    with connect(url) as conn:
        warehouse_schema.ensure(conn)
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "insert into ops.audit_results (run_id, interval_start, interval_end, suite,"
                " expectation, column_name, success, unexpected_count, examples)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(run_id, start, end, c.suite, c.expectation, c.column, c.success,
                  c.unexpected_count, Jsonb([str(x) for x in c.examples[:20]] if c.examples
                                            else ([c.note] if c.note else [])))
                 for c in report.checks])
