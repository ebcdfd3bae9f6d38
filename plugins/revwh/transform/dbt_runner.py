"""Run dbt (in-process, through dbt's programmatic runner) against the warehouse."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from revwh.core import contract
from revwh.core.config import DBT_PROJECT_DIR, apply_telemetry_off, settings
from revwh.core.errors import WarehouseError
from revwh.core.secrets import pii_salt
from revwh.core.sources import ALL_SOURCES, active_crm
from revwh.warehouse.connection import url_parts, warehouse_url


@dataclass(frozen=True)
class DbtResult:
    command: str
    nodes: int
    failures: list[str]


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Environment variables the dbt profile reads (see dbt_project/profiles.yml), and libpq's
    PGOPTIONS with JIT compilation off for dbt's sessions: on a freshly built, not yet analyzed
    table the planner's estimates make PostgreSQL JIT-compile queries that run in milliseconds,
    for seconds each (12 s of a 12.5 s weekly_scorecard build; docs/benchmarks.md)."""
    parts = url_parts(url or warehouse_url())
    env = {f"REVWH_PG_{key.upper()}": value for key, value in parts.items()}
    options = os.environ.get("PGOPTIONS", "")
    env["PGOPTIONS"] = options if "jit=" in options else f"{options} -c jit=off".strip()
    return env


def lookback_days() -> int:
    """The days before their newest day that incremental models rebuild (dbt var lookback_days):
    the largest lookback of the ad and web sources, whose restated or late rows the loader
    re-reads (CRM and FX extracts carry late changes in the current day's file)."""
    return max(s.lookback_days for s in ALL_SOURCES if s.kind in ("ads", "web"))


def dbt_vars(extra: dict | None = None) -> dict:
    """The vars every dbt command gets: the contract, the CRM, the lookback, the PII salt;
    `extra` wins (the salt is read, or generated once, only when `extra` has none)."""
    extra = extra or {}
    salt = extra["pii_salt"] if "pii_salt" in extra else pii_salt()
    return {**contract.dbt_vars(), "crm": active_crm(), "lookback_days": lookback_days(),
            "pii_salt": salt, **extra}


def run_dbt(args: list[str], url: str | None = None, extra_vars: dict | None = None
            ) -> DbtResult:
    """Run a dbt command; raise WarehouseError naming each failed model or test."""
    from dbt.cli.main import dbtRunner

    apply_telemetry_off()
    os.environ.update(dbt_env(url))
    conf = settings()
    full = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(conf.dbt_target_dir), "--log-path", str(conf.dbt_log_dir),
            "--vars", json.dumps(dbt_vars(extra_vars))]
    outcome = dbtRunner().invoke(full)
    failures: list[str] = []
    nodes = 0
    results = getattr(outcome.result, "results", None) or []
    for result in results:
        nodes += 1
        status = str(getattr(result, "status", ""))
        if status in ("error", "fail", "runtime error"):
            node = getattr(result, "node", None)
            name = getattr(node, "unique_id", "?")
            failures.append(f"{name}: {status}: {(result.message or '').strip()[:300]}")
    if not outcome.success:
        detail = "; ".join(failures) or str(outcome.exception or "see the dbt log")
        raise WarehouseError(f"dbt {' '.join(args)} failed: {detail}")
    return DbtResult(" ".join(args), nodes, failures)
