"""Bounded disk use: each run's evidence and the logs expire.

- evidence (revwh.gate.evidence.expire): a run's folder goes once older than
  REVWH_EVIDENCE_KEEP_DAYS (30) unless it is among the REVWH_EVIDENCE_KEEP_RUNS (10) newest; the
  current run's always stays;
- logs: Airflow's task and component logs ($REVWH_HOME/airflow/logs, or AIRFLOW__LOGGING__
  BASE_LOG_FOLDER) and `revwh run`'s ($REVWH_HOME/logs) older than REVWH_LOG_KEEP_DAYS (30) are
  deleted, and the folders they leave empty. Airflow keeps local task logs for ever otherwise.

Every DAG run's audit step applies both (revwh.ops.pipeline.audit_marts); `revwh run` and
`revwh ui` (make airflow) prune the logs before they write their own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from revwh.core.config import settings
from revwh.gate import evidence

log = logging.getLogger(__name__)


def log_folders() -> list[Path]:
    conf = settings()
    airflow_logs = os.environ.get("AIRFLOW__LOGGING__BASE_LOG_FOLDER")
    return [Path(airflow_logs) if airflow_logs else conf.airflow_home / "logs",
            conf.home / "logs"]


def prune_logs(keep_days: int | None = None, now: float | None = None,
               folders: list[Path] | None = None) -> list[Path]:
    """Delete log files older than keep_days (0 keeps them all), then emptied folders."""
    keep_days = settings().log_keep_days if keep_days is None else keep_days
    if not keep_days:
        return []
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed: list[Path] = []
    for root in folders or log_folders():
        if not root.is_dir():
            continue
        emptied: set[Path] = set()  # folders something was deleted from
        for folder, _subfolders, files in os.walk(root, topdown=False):
            here = Path(folder)
            for name in files:
                path = here / name
                with contextlib.suppress(OSError):
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
                        emptied.add(here)
            if here != root:
                with contextlib.suppress(OSError):
                    if not any(here.iterdir()) and (here in emptied
                                                    or here.lstat().st_mtime < cutoff):
                        here.rmdir()
                        emptied.add(here.parent)
    return removed


def apply(current_run_id: str | None = None) -> dict[str, int]:
    """Expire old evidence (never the current run's) and old logs; how many of each went."""
    gone = evidence.expire(current_run_id)
    logs = prune_logs()
    if gone or logs:
        log.info("retention: %d evidence folders and %d log files expired", len(gone),
                 len(logs))
    return {"evidence": len(gone), "logs": len(logs)}
