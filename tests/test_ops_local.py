"""The local stack's housekeeping, no database needed: executor parallelism sized to the machine,
evidence and log retention, shared evidence assets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from revwh.gate import evidence
from revwh.ops import retention

DAY = 86400


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVWH_HOME", str(tmp_path))
    for name in ("REVWH_EVIDENCE_DIR", "REVWH_EVIDENCE_KEEP_DAYS", "REVWH_EVIDENCE_KEEP_RUNS",
                 "REVWH_LOG_KEEP_DAYS", "AIRFLOW__LOGGING__BASE_LOG_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_executor_parallelism_follows_the_cpus(monkeypatch: pytest.MonkeyPatch, home: Path):
    from revwh.ops.airflow_env import airflow_env

    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql+psycopg2://x@y/z")
    for name in ("AIRFLOW__CORE__PARALLELISM", "REVWH_PARALLELISM", "AIRFLOW__API__WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    env = airflow_env()
    assert env["AIRFLOW__CORE__PARALLELISM"] == "2" and env["AIRFLOW__API__WORKERS"] == "1"
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert airflow_env()["AIRFLOW__CORE__PARALLELISM"] == "2"  # a task and its watcher
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert airflow_env()["AIRFLOW__CORE__PARALLELISM"] == "16"
    monkeypatch.setenv("REVWH_PARALLELISM", "3")
    assert airflow_env()["AIRFLOW__CORE__PARALLELISM"] == "3"
    monkeypatch.setenv("AIRFLOW__CORE__PARALLELISM", "5")  # Airflow's own setting wins
    assert airflow_env()["AIRFLOW__CORE__PARALLELISM"] == "5"


def _run_evidence(run_id: str, age_days: float, now: float) -> Path:
    """A run's evidence folder as the gate leaves it, its static assets shared."""
    gx = evidence.gx_folder(run_id)
    (gx / "static" / "fonts").mkdir(parents=True)
    (gx / "static" / "fonts" / "font.otf").write_bytes(b"F" * 1000)
    (gx / "index.html").write_text(f"<html>{run_id}</html>")
    evidence.share_static(gx)
    dbt = evidence.run_folder(run_id) / "dbt"
    dbt.mkdir()
    (dbt / "static_index.html").write_text(run_id)
    stamp = now - age_days * DAY
    for path in [evidence.run_folder(run_id), gx, dbt, *gx.iterdir(), *dbt.iterdir()]:
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    return evidence.run_folder(run_id)


def test_static_assets_are_kept_once(home: Path):
    now = time.time()
    first = _run_evidence("scheduled__2026-09-01T00:00:00+00:00", 0, now)
    second = _run_evidence("scheduled__2026-09-02T00:00:00+00:00", 0, now)
    shared = list((evidence.settings().evidence_dir / evidence.SHARED).iterdir())
    assert len(shared) == 1
    for run in (first, second):
        static = run / "gx" / "static"
        assert static.is_symlink() and not os.path.isabs(os.readlink(static))
        assert (static / "fonts" / "font.otf").read_bytes() == b"F" * 1000


def test_expired_evidence_goes_and_the_current_runs_stays(home: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVWH_EVIDENCE_KEEP_DAYS", "30")
    monkeypatch.setenv("REVWH_EVIDENCE_KEEP_RUNS", "2")
    now = time.time()
    runs = {age: _run_evidence(f"backfill__day{age}", age, now) for age in (1, 40, 50, 60, 70)}
    current = _run_evidence("manual__current", 90, now)  # a rerun of an old run: it stays
    removed = evidence.expire("manual__current", now=now)
    # the two newest stay (1 and 40 days: 40 is old, but among the 2 newest); 50, 60, 70 go
    assert sorted(removed) == sorted([runs[50], runs[60], runs[70]])
    assert runs[1].exists() and runs[40].exists() and current.exists()
    assert (current / "gx" / "static" / "fonts" / "font.otf").exists()  # its assets too
    # nothing old is left: a second pass removes nothing
    assert evidence.expire("manual__current", now=now) == []
    # once every run linking to them is gone, the shared assets go as well
    assert evidence.expire(None, keep_days=1, keep_runs=0, now=now + 365 * DAY)
    assert not any((evidence.settings().evidence_dir / evidence.SHARED).iterdir())


def test_evidence_kept_for_ever_with_zero_days(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVWH_EVIDENCE_KEEP_DAYS", "0")
    now = time.time()
    old = _run_evidence("scheduled__2020-01-01T00:00:00+00:00", 2000, now)
    assert evidence.expire("other", now=now) == [] and old.exists()


def test_old_logs_expire(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVWH_LOG_KEEP_DAYS", "7")
    now = time.time()
    task_log = (home / "airflow" / "logs" / "dag_id=revenue_nightly" / "run_id=old"
                / "task_id=load_ga4" / "attempt=1.log")
    fresh = home / "airflow" / "logs" / "dag_id=revenue_nightly" / "run_id=new" / "attempt=1.log"
    run_log = home / "logs" / "revenue_nightly-2026-09-01.log"
    for path in (task_log, fresh, run_log):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("log")
    for path in (task_log, task_log.parent, task_log.parent.parent, run_log):
        os.utime(path, (now - 8 * DAY, now - 8 * DAY))
    assert retention.apply("manual__now") == {"evidence": 0, "logs": 2}
    assert not task_log.exists() and not run_log.exists() and fresh.exists()
    assert not (home / "airflow" / "logs" / "dag_id=revenue_nightly" / "run_id=old").exists()
    assert (home / "airflow" / "logs").is_dir()  # the roots stay


def test_retention_settings_must_be_whole_numbers(home: Path, monkeypatch: pytest.MonkeyPatch):
    from revwh.core.config import settings

    monkeypatch.setenv("REVWH_EVIDENCE_KEEP_DAYS", "a month")
    with pytest.raises(ValueError, match="REVWH_EVIDENCE_KEEP_DAYS must be a whole number"):
        settings()


STUBBORN_STACK = r'''
import json, os, signal, subprocess, sys, time
from revwh.ops import processes

SERVER = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # takes SIGTERM to stop
# a worker in a session of its own that ignores SIGINT and SIGTERM, orphaned when its
# parent exits: only SIGKILL stops it, and only its descent leads to it
subprocess.Popen([sys.executable, "-c", "import signal, time; "
                  "signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
                 start_new_session=True)
time.sleep(600)
"""
assert processes.become_subreaper()
server = subprocess.Popen([sys.executable, "-c", SERVER], start_new_session=True)
time.sleep(1.5)
stopped = processes.stop_stack(server, grace=1, term_grace=1)
print(json.dumps({"seconds": stopped.seconds, "escalated": stopped.escalated,
                  "left": stopped.left_after_sigint}))
'''


def test_a_stack_stops_whole_orphans_and_stubborn_processes_included():
    """revwh.ops.processes without Airflow: a server that ignores SIGINT and an orphaned worker
    in a session of its own that ignores SIGTERM are both gone when stop_stack returns."""
    import json
    import subprocess
    import sys
    import uuid

    mark = uuid.uuid4().hex
    result = subprocess.run([sys.executable, "-c", STUBBORN_STACK], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "REVWH_TEST_MARK": mark})
    assert result.returncode == 0, result.stderr[-3000:]
    stopped = json.loads(result.stdout.strip().splitlines()[-1])
    assert stopped["escalated"] == "SIGKILL" and len(stopped["left"]) == 2
    assert stopped["seconds"] < 10
    needle = f"REVWH_TEST_MARK={mark}".encode()
    left = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if needle in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                left.append(entry)
        except OSError:
            continue
    assert left == []
