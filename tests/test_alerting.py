"""Failure alerts: to the log and as JSON to a webhook, from a real failing DAG run too; a
broken webhook never hides the failure."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from revwh.core.errors import ExtractMissing
from revwh.ops import alerting


class Webhook:
    """A local HTTP endpoint that records what is POSTed to it."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.received: list[dict] = []
        self.status, self.delay = status, delay
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append({"path": self.path, "type": self.headers["Content-Type"],
                                      "json": json.loads(body)})
                time.sleep(hook.delay)
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0KEN"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def _task_context(error: BaseException) -> dict:
    """What Airflow 3's task runner hands an on_failure_callback (the keys we read)."""
    dag_run = SimpleNamespace(
        dag_id="revenue_nightly", run_id="manual__2026-09-02T00:00:00+00:00",
        logical_date=datetime(2026, 9, 2, tzinfo=UTC),
        data_interval_start=datetime(2026, 9, 1, tzinfo=UTC),
        data_interval_end=datetime(2026, 9, 2, tzinfo=UTC))
    ti = SimpleNamespace(
        dag_id="revenue_nightly", run_id=dag_run.run_id, task_id="load_google_ads",
        map_index=-1, try_number=2, max_tries=1, hostname="worker-1",
        log_url="http://localhost:8080/dags/revenue_nightly/runs/manual__2026-09-02/tasks/"
                "load_google_ads?try_number=2")
    return {"dag_run": dag_run, "ti": ti, "task_instance": ti, "run_id": dag_run.run_id,
            "exception": error}


def test_a_task_failure_is_logged_and_posted(webhook: Webhook, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture):
    monkeypatch.setenv("REVWH_ALERT_WEBHOOK_URL", webhook.url)
    error = ExtractMissing("google_ads campaign_stats: no file for 2026-09-01 at s3://landing/"
                           "x.csv (tried postgresql://loader:secret@db/warehouse)\nline 2\n"
                           + "\n".join(f"more {i}" for i in range(30)))
    with caplog.at_level(logging.INFO, logger="revwh.ops.alerting"):
        alerting.on_task_failure(_task_context(error))
    assert len(webhook.received) == 1
    got = webhook.received[0]
    assert got["path"] == "/hooks/T0KEN" and got["type"] == "application/json"
    alert = got["json"]
    assert alert["event"] == "task_failed"
    assert alert["dag_id"] == "revenue_nightly"
    assert alert["run_id"] == "manual__2026-09-02T00:00:00+00:00"
    assert alert["task_id"] == "load_google_ads" and alert["try_number"] == 2
    assert alert["reason"].startswith("revwh.core.errors.ExtractMissing: google_ads campaign_stats")
    assert "secret" not in alert["reason"] and "loader:***@db" in alert["reason"]
    assert "more 29" not in alert["reason"] and "more lines in the log" in alert["reason"]
    assert alert["log_url"].endswith("tasks/load_google_ads?try_number=2")
    assert alert["data_interval_start"] == "2026-09-01T00:00:00+00:00"
    assert alert["text"].startswith("[revwh] task failed: revenue_nightly / manual__2026-09-02")
    logged = caplog.text
    assert "ALERT [revwh] task failed" in logged and "load_google_ads" in logged
    assert "alert sent to the webhook" in logged and "T0KEN" not in logged


@pytest.mark.parametrize("problem", ["http_500", "slow", "down", "not_http"])
def test_a_broken_webhook_never_masks_the_failure(problem: str, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture):
    hook = Webhook(status=500 if problem == "http_500" else 200,
                   delay=3.0 if problem == "slow" else 0.0)
    url = hook.url
    if problem == "down":
        hook.close()
    elif problem == "not_http":
        url = "file:///etc/passwd"
    monkeypatch.setenv("REVWH_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("REVWH_ALERT_TIMEOUT_SECONDS", "0.5")
    began = time.monotonic()
    try:
        with caplog.at_level(logging.INFO, logger="revwh.ops.alerting"):
            alerting.on_task_failure(_task_context(RuntimeError("boom")))  # does not raise
    finally:
        if problem != "down":
            hook.close()
    assert time.monotonic() - began < 2.5, "the webhook's timeout was not applied"
    assert "ALERT [revwh] task failed" in caplog.text and "boom" in caplog.text
    assert "alert webhook" in caplog.text or "http(s) URL" in caplog.text
    assert "alert sent" not in caplog.text and "T0KEN" not in caplog.text


def test_without_a_webhook_the_alert_is_only_logged(monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture):
    monkeypatch.delenv("REVWH_ALERT_WEBHOOK_URL", raising=False)
    with caplog.at_level(logging.INFO, logger="revwh.ops.alerting"):
        alerting.on_dag_failure({"run_id": "r1", "dag": SimpleNamespace(dag_id="d"),
                                 "reason": "task_failure"})
    assert "ALERT [revwh] DAG run failed: d / r1: task_failure" in caplog.text


def test_the_dag_alerts_on_task_and_run_failure():
    from revwh.ops.dagrun import load_dag

    dag = load_dag()
    assert dag.on_failure_callback in (alerting.on_dag_failure, [alerting.on_dag_failure])
    for task in dag.tasks:
        assert alerting.on_task_failure in task.on_failure_callback, task.task_id


def test_a_real_failing_run_posts_its_alerts(warehouse: str, webhook: Webhook,
                                             tmp_path: Path):
    """The nightly DAG through Airflow (dag.test) on a day whose extracts never landed: each
    failed extract task and the failed run are posted, with the exception's message."""
    from revwh.ops.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(), "LANDING_URL": str(tmp_path / "empty-landing"),
           "REVWH_ALERT_WEBHOOK_URL": webhook.url}
    airflow = str(Path(sys.executable).parent / "airflow")
    migrate = subprocess.run([airflow, "db", "migrate"], env=env, capture_output=True,
                             text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    day = date(2026, 9, 1)
    result = subprocess.run([sys.executable, "-m", "revwh.ops.dagrun", day.isoformat()], env=env,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "RUN_STATE=failed" in output, output[-3000:]
    alerts = [r["json"] for r in webhook.received]
    tasks = {a["task_id"]: a for a in alerts if a["event"] == "task_failed"}
    assert tasks and set(tasks) <= {t for t in tasks if t.startswith("extract_")}, alerts
    extract = next(iter(tasks.values()))
    assert extract["dag_id"] == "revenue_nightly"
    assert extract["run_id"].startswith("manual__") and extract["try_number"] == 1
    assert extract["data_interval_start"] == "2026-09-01T00:00:00+00:00"
    assert "ExtractMissing" in extract["reason"] and "2026-09-01" in extract["reason"]
    assert f"/tasks/{extract['task_id']}" in extract["log_url"]
    runs = [a for a in alerts if a["event"] == "dag_run_failed"]
    assert len(runs) == 1, alerts
    assert runs[0]["run_id"] == extract["run_id"] and runs[0]["task_id"] in tasks
    assert "task_failure" in runs[0]["reason"]
    assert "ALERT [revwh] task failed" in output
