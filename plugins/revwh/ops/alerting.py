"""Alerts on failure: which DAG, which run, which task, why, and where the log is.

``on_task_failure`` is every task's ``on_failure_callback`` (the DAG's default_args): it runs in
the task's process right after the task failed for good (no retries left) and knows the
exception. ``on_dag_failure`` is the DAG's own ``on_failure_callback``: it runs when the run is
marked failed (Airflow names the task that caused it, but not the exception; it also covers
tasks that died without running their callback).

Each alert is written to the log (``revwh.ops.alerting``, level ERROR) and, if
``REVWH_ALERT_WEBHOOK_URL`` is set, POSTed there as JSON (a ``text`` field for chat webhooks plus
the fields apart), with a timeout (``REVWH_ALERT_TIMEOUT_SECONDS``). A webhook that is down,
slow or refuses the alert is logged as a warning and never masks the failure being reported.
Credentials in URLs within the reason are masked.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from revwh.core.config import settings

log = logging.getLogger(__name__)

REASON_LINES = 12
REASON_CHARS = 2000
USER_AGENT = "revwh-alerting/1"
CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@",
                                re.IGNORECASE)


def _redact(text: str) -> str:
    return CREDENTIALS_IN_URL.sub(r"\g<scheme>\g<user>:***@", text)


def describe_exception(error: object) -> str | None:
    """The exception's type and message, first lines only (the log has the traceback)."""
    if error is None:
        return None
    if isinstance(error, BaseException):
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
    else:
        text = str(error).strip()
    lines = text.splitlines()
    short = "\n".join(lines[:REASON_LINES])
    if len(lines) > REASON_LINES:
        short += f"\n… ({len(lines) - REASON_LINES} more lines in the log)"
    if len(short) > REASON_CHARS:
        short = short[:REASON_CHARS] + "…"
    return _redact(short)


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _get(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a property that needs a server (log_url) may fail
        return None


def build_alert(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """The alert's fields from an Airflow 3 callback context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    dag_id = _get(ti, "dag_id") or _get(dag_run, "dag_id") or _get(dag, "dag_id")
    run_id = context.get("run_id") or _get(ti, "run_id") or _get(dag_run, "run_id")
    task_id = _get(ti, "task_id")
    error = describe_exception(context.get("exception"))
    reason = error or (f"{context['reason']} (task {task_id})" if context.get("reason")
                       and task_id else context.get("reason")) or "unknown (see the log)"
    alert = {
        "event": event,
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "map_index": _get(ti, "map_index"),
        "try_number": _get(ti, "try_number"),
        "max_tries": _get(ti, "max_tries"),
        "reason": reason,
        "log_url": _get(ti, "log_url"),
        "logical_date": _iso(_get(dag_run, "logical_date")),
        "data_interval_start": _iso(_get(dag_run, "data_interval_start")),
        "data_interval_end": _iso(_get(dag_run, "data_interval_end")),
        "hostname": _get(ti, "hostname"),
    }
    what = "task failed" if event == "task_failed" else "DAG run failed"
    first_line = reason.splitlines()[0] if reason else ""
    alert["text"] = (f"[revwh] {what}: {dag_id} / {run_id}"
                     + (f" / task {task_id} (try {alert['try_number']})" if task_id else "")
                     + f": {first_line}" + (f" | log: {alert['log_url']}"
                                            if alert["log_url"] else ""))
    return alert


def send(alert: Mapping[str, Any], url: str | None = None,
         timeout: float | None = None) -> bool:
    """POST the alert as JSON; True if the webhook accepted it (2xx). Never raises."""
    conf = settings()
    url = url or conf.alert_webhook_url
    if not url:
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        log.warning("REVWH_ALERT_WEBHOOK_URL must be an http(s) URL; the alert was not sent")
        return False
    where = parts.netloc.rsplit("@", 1)[-1]  # never log a token from the path or the user part
    try:
        request = urllib.request.Request(
            url, data=json.dumps(alert, default=str).encode(), method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT})
        wait = timeout or conf.alert_timeout_seconds
        with urllib.request.urlopen(request, timeout=wait) as reply:
            status = reply.status
    except urllib.error.HTTPError as error:
        log.warning("alert webhook at %s refused the alert: HTTP %s", where, error.code)
        return False
    except Exception as error:  # noqa: BLE001 - an alert must never raise
        log.warning("alert webhook at %s unreachable: %s", where, _redact(str(error)))
        return False
    if not 200 <= status < 300:
        log.warning("alert webhook at %s answered HTTP %s", where, status)
        return False
    return True


def alert(context: Mapping[str, Any], event: str) -> dict[str, Any]:
    """Log the alert and send it to the webhook; returns the alert."""
    try:
        payload = build_alert(context, event)
    except Exception:  # noqa: BLE001 - reporting must not fail the callback
        log.exception("could not build the failure alert; context keys: %s", sorted(context))
        payload = {"event": event, "reason": "unknown (see the log)",
                   "text": f"[revwh] {event}: see the Airflow log"}
    log.error("ALERT %s", payload["text"])
    if payload.get("reason") and "\n" in payload["reason"]:
        log.error("ALERT reason:\n%s", payload["reason"])
    sent = send(payload)
    if sent:
        log.info("alert sent to the webhook")
    return payload


def on_task_failure(context: Mapping[str, Any]) -> None:
    """A task's on_failure_callback."""
    alert(context, "task_failed")


def on_dag_failure(context: Mapping[str, Any]) -> None:
    """The DAG's on_failure_callback."""
    alert(context, "dag_run_failed")
