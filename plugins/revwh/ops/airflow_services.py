"""Airflow's components as processes of their own, its REST API with a token, a clean stop.

Used by the REST-API backfill and Celery tests and the Airflow benchmark (and by anyone who wants
the components apart rather than ``airflow standalone``): ``AirflowServices.start`` migrates the
metadata database, then starts each component (``api-server``, ``scheduler``,
``dag-processor``, ``celery worker``, ...) in a process group of its own with its output in a
log file; ``stop`` sends each group SIGINT, which Airflow handles as a clean shutdown (the
scheduler's LocalExecutor workers and a Celery worker's children get it too), and waits;
SIGTERM, then SIGKILL, only for what is still running after the grace period.

The API is the one the UI calls: a JWT from ``POST /auth/token`` (the simple auth manager's
users and passwords file), then ``/api/v2/...`` with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from revwh.core.errors import WarehouseError

TERMINAL_RUN_STATES = {"success", "failed"}
ADMIN = "admin"


class AirflowServiceError(WarehouseError):
    """A component would not start, or the API answered with an error."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def services_env(base: dict[str, str], home: Path, port: int,
                 password: str | None = None) -> dict[str, str]:
    """The environment of every component: ``base`` (the project's Airflow environment, see
    revwh.ops.airflow_env) with its own Airflow home, the API on 127.0.0.1:port, one JWT secret
    shared by all components, and one admin user whose password is written to the simple auth
    manager's passwords file."""
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({ADMIN: password or secrets.token_urlsafe(12)}))
    passwords.chmod(0o600)
    base_url = f"http://127.0.0.1:{port}"
    return {
        **base,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": base.get("AIRFLOW__API__WORKERS", "1"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": base.get("AIRFLOW__API_AUTH__JWT_SECRET")
        or secrets.token_urlsafe(32),
        # ... and one Fernet key (a trigger the scheduler stores encrypted, the triggerer reads)
        "AIRFLOW__CORE__FERNET_KEY": base.get("AIRFLOW__CORE__FERNET_KEY")
        or _new_fernet_key(),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        # New DAG files are seen within seconds, not minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": base.get(
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL", "5"),
        # A busy machine answers the tasks' execution-API calls slowly: wait, don't fail.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": base.get(
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT", "60"),
        "AIRFLOW__CORE__PARALLELISM": base.get("AIRFLOW__CORE__PARALLELISM", "8"),
        # the scheduler's (LocalExecutor) log server: a port of its own, not the fixed default
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": base.get(
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", str(free_port())),
    }


@dataclass
class AirflowServices:
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    escalated: set[str] = field(default_factory=set)  # components SIGINT did not stop in time
    _token: str | None = None

    # --- processes ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.env.get("AIRFLOW__API__BASE_URL") or \
            f"http://localhost:{self.env.get('AIRFLOW__API__PORT') or 8080}"

    @property
    def passwords_file(self) -> Path:
        """The simple auth manager's passwords file (airflow standalone generates it)."""
        configured = self.env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
        return Path(configured) if configured else \
            Path(self.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"

    def password(self, user: str = ADMIN) -> str:
        return json.loads(self.passwords_file.read_text())[user]

    @classmethod
    def start(cls, env: dict[str, str], components: list[list[str]], log_dir: Path,
              migrate: bool = True) -> AirflowServices:
        """Migrate the metadata database, then start each component (its airflow arguments,
        e.g. ["scheduler"] or ["celery", "worker", "--queues", "q"])."""
        log_dir.mkdir(parents=True, exist_ok=True)
        services = cls(env, log_dir)
        if migrate:
            result = subprocess.run([airflow_bin(), "db", "migrate"], env=env,
                                    capture_output=True, text=True, timeout=900)
            if result.returncode != 0:
                raise AirflowServiceError(
                    f"airflow db migrate failed: {(result.stdout + result.stderr)[-3000:]}")
        try:
            for args in components:
                name = "-".join(itertools.takewhile(lambda a: not a.startswith("-"), args))
                log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed by stop()
                services.processes[name] = subprocess.Popen(
                    [airflow_bin(), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True,
                    preexec_fn=default_interrupt_handling)
                log.close()  # the child holds its own copy
        except BaseException:
            services.stop()
            raise
        return services

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AirflowServiceError(
                    f"airflow {name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def stop(self, grace: float = 90) -> dict[str, int | None]:
        """SIGINT to every component's process group, then wait (SIGTERM, then SIGKILL, for
        what is still running after the grace period); returns each exit code."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGINT)
        deadline = time.monotonic() + grace
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                self.escalated.add(name)
                _signal_group(process, signal.SIGTERM)
                try:
                    codes[name] = process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    codes[name] = process.wait(timeout=15)
            _reap_group(process)
        return codes

    # --- the REST API ---------------------------------------------------------------------------
    def token(self) -> str:
        """A JWT for the admin user, as the UI gets one: POST /auth/token."""
        if self._token is None:
            response = httpx.post(f"{self.base_url}/auth/token", timeout=60,
                                  json={"username": ADMIN, "password": self.password()})
            if response.status_code != 201:
                raise AirflowServiceError(
                    f"POST /auth/token: {response.status_code} {response.text[:500]}")
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, body: dict | None = None,
            params: dict | None = None) -> Any:
        response = httpx.request(method, f"{self.base_url}/api/v2/{path.lstrip('/')}",
                                 json=body, params=params, timeout=120,
                                 headers={"Authorization": f"Bearer {self.token()}"})
        if response.status_code >= 400:
            raise AirflowServiceError(
                f"{method} /api/v2/{path}: {response.status_code} {response.text[:1000]}")
        return response.json() if response.content else None

    def wait_ready(self, dag_id: str, timeout: float = 600,
                   abort: Callable[[], bool] | None = None) -> None:
        """Until the API answers, the scheduler is healthy and the DAG is parsed (with no
        import error); abort() true gives up at once."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            self.check_alive()
            if abort is not None and abort():
                raise AirflowServiceError("stopped while waiting for Airflow to come up")
            errors: dict = {}
            try:
                health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=10).json()
                last = json.dumps(health)
                if all(health.get(part, {}).get("status") == "healthy"
                       for part in ("metadatabase", "scheduler")):
                    errors = self.api("GET", "importErrors")
                    dags = self.api("GET", "dags", params={"dag_id_pattern": dag_id})
                    if not errors.get("total_entries") and any(
                            d["dag_id"] == dag_id for d in dags["dags"]):
                        return
            # not up yet: no answer, no user's password yet, the token refused
            except (httpx.HTTPError, ValueError, OSError, KeyError,
                    AirflowServiceError) as err:
                last = str(err)
                self._token = None
            if errors.get("total_entries"):
                raise AirflowServiceError(f"DAG import errors: {errors}")
            time.sleep(2)
        raise AirflowServiceError(f"Airflow not ready after {timeout:.0f}s: {last}\n"
                                  + "\n".join(f"--- {name}\n{self.log_tail(name, 1500)}"
                                              for name in self.processes))

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"dags/{dag_id}", {"is_paused": False})

    def backfill(self, dag_id: str, first_day: date, last_day: date, max_active_runs: int,
                 conf: dict | None = None, reprocess: str = "completed") -> dict:
        """POST /api/v2/backfills: one run per day from first_day to last_day (each run's
        interval is that day, its logical date the day's start); reprocess: which days that
        already have a run run again (none, failed or completed)."""
        return self.api("POST", "backfills", {
            "dag_id": dag_id, "from_date": _midnight(first_day), "to_date": _midnight(last_day),
            "max_active_runs": max_active_runs, "dag_run_conf": conf or {},
            "reprocess_behavior": reprocess})

    def wait_for_backfill(self, backfill_id: int, timeout: float = 300, poll: float = 2
                          ) -> dict:
        """Until the scheduler has marked the backfill complete (after its last run ends): a
        DAG takes one running backfill at a time."""
        deadline = time.monotonic() + timeout
        while True:
            backfill = self.api("GET", f"backfills/{backfill_id}")
            if backfill.get("completed_at"):
                return backfill
            if time.monotonic() > deadline:
                raise AirflowServiceError(
                    f"backfill {backfill_id} not complete after {timeout:.0f} s: {backfill}")
            time.sleep(poll)

    def trigger(self, dag_id: str, day: date, conf: dict | None = None) -> dict:
        """A manual run over the day's interval (POST /api/v2/dags/{dag_id}/dagRuns)."""
        return self.api("POST", f"dags/{dag_id}/dagRuns", {
            "logical_date": _midnight(day), "data_interval_start": _midnight(day),
            "data_interval_end": _midnight(day + timedelta(days=1)), "conf": conf or {}})

    def clear(self, dag_id: str, run_id: str, task_ids: list[str]) -> dict:
        """Clear tasks of a run (and what depends on them), as the UI's Clear does."""
        return self.api("POST", f"dags/{dag_id}/clearTaskInstances", {
            "dry_run": False, "dag_run_id": run_id, "task_ids": task_ids,
            "only_failed": False, "include_downstream": True, "reset_dag_runs": True})

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"dags/{dag_id}/dagRuns",
                        params={"limit": 1000, "order_by": "logical_date"})["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """All of a run's task instances (the API gives at most 100 a page)."""
        found: list[dict] = []
        while True:
            page = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                            params={"limit": 100, "offset": len(found)})
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found

    def wait_for_runs(self, dag_id: str, run_ids: set[str] | None = None, count: int = 0,
                      timeout: float = 900, poll: float = 3) -> list[dict]:
        """Until the given runs (or at least count runs) are all finished; raises naming each
        failed task (with its log's end) if any run failed."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            runs = [r for r in self.runs(dag_id) if run_ids is None or r["dag_run_id"] in run_ids]
            done = [r for r in runs if r["state"] in TERMINAL_RUN_STATES]
            enough = len(runs) >= (len(run_ids) if run_ids is not None else count)
            if enough and len(done) == len(runs):
                failed = [r for r in runs if r["state"] != "success"]
                if failed:
                    raise AirflowServiceError("runs failed:\n" + "\n".join(
                        self.describe_failure(dag_id, r["dag_run_id"]) for r in failed))
                return runs
            if time.monotonic() > deadline:
                raise AirflowServiceError(
                    f"runs not finished after {timeout:.0f}s: "
                    + ", ".join(f"{r['dag_run_id']}={r['state']}" for r in runs))
            time.sleep(poll)

    def describe_failure(self, dag_id: str, run_id: str) -> str:
        lines = [f"{run_id}:"]
        for ti in self.task_instances(dag_id, run_id):
            if ti["state"] in ("failed", "upstream_failed"):
                lines.append(f"  {ti['task_id']}: {ti['state']}")
                if ti["state"] == "failed":
                    try:
                        lines.append(self.task_log(dag_id, run_id, ti["task_id"],
                                                   ti["try_number"])[-2500:])
                    except AirflowServiceError as err:
                        lines.append(f"  (no log: {err})")
        return "\n".join(lines)

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int | None = None
                 ) -> str:
        """A task instance's log (its latest try unless told), as text."""
        if try_number is None:
            try_number = next(ti["try_number"] for ti in self.task_instances(dag_id, run_id)
                              if ti["task_id"] == task_id)
        log = self.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/"
                              f"{max(try_number, 1)}", params={"full_content": True})
        return _log_text(log)


def default_interrupt_handling() -> None:
    """In a component's process, before exec: SIGINT and SIGQUIT back to their defaults. A
    process started in the background by a non-interactive shell (CI, nohup, `cmd &`) inherits
    them ignored, and a Python that starts with SIGINT ignored never turns it into the clean
    shutdown Airflow's components make of it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _midnight(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


def _log_text(log: Any) -> str:
    content = log.get("content") if isinstance(log, dict) else log
    if isinstance(content, list):
        return "\n".join(item.get("event", str(item)) if isinstance(item, dict) else str(item)
                         for item in content)
    return str(content)


def _reap_group(process: subprocess.Popen, grace: float = 10) -> None:
    """Children a component left behind in its process group: a few seconds to finish (they
    had the SIGINT too), then SIGKILL."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.5)
    _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
