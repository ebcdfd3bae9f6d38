"""Run dbt (in-process, through dbt's programmatic runner) against the warehouse."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from revwh import contract, privacy
from revwh.config import DBT_PROJECT_DIR, apply_telemetry_off, settings
from revwh.errors import WarehouseError
from revwh.sources import active_crm
from revwh.warehouse import url_parts, warehouse_url


@dataclass(frozen=True)
class DbtResult:
    command: str
    nodes: int
    failures: list[str]


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Environment variables the dbt profile reads (see dbt_project/profiles.yml)."""
    parts = url_parts(url or warehouse_url())
    return {f"REVWH_PG_{key.upper()}": value for key, value in parts.items()}


def run_dbt(args: list[str], url: str | None = None) -> DbtResult:
    """Run a dbt command; raise WarehouseError naming each failed model or test."""
    from dbt.cli.main import dbtRunner

    apply_telemetry_off()
    os.environ.update(dbt_env(url))
    conf = settings()
    full = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(conf.dbt_target_dir), "--log-path", str(conf.dbt_log_dir),
            "--vars", json.dumps({**contract.dbt_vars(), "crm": active_crm(),
                                  "pii_salt": privacy.pii_salt()})]
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
