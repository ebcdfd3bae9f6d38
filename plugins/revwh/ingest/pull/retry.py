"""The pull's one retry policy (tenacity): every API call of every platform goes through `call`.

A call that fails transiently raises `Transient` (a 429, a 5xx, a timeout, a dropped connection,
Google's RESOURCE_EXHAUSTED, Meta's throttling codes); it is tried again after the wait the
platform asked for (Retry-After, Google's retry_delay, Meta's estimated_time_to_regain_access)
or else an exponential back-off, up to the policy's attempts. Anything else, or the last
attempt's failure, raises PullFailed naming the platform, the endpoint, the status and the day.
Waits are capped at REVWH_PULL_MAX_WAIT_SECONDS; `SLEEP` is the one place that sleeps.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import tenacity

from revwh.core.config import PullPolicy, pull_policy
from revwh.core.errors import PullFailed

log = logging.getLogger(__name__)
T = TypeVar("T")

SLEEP: Callable[[float], None] = time.sleep  # tests record the waits instead


class Transient(Exception):  # noqa: N818 - a condition, not a bug
    """A failure worth another try; `retry_after` is the wait the platform asked for."""

    def __init__(self, status: object, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(f"status {status}{': ' + detail if detail else ''}")
        self.status, self.retry_after, self.detail = status, retry_after, detail


RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After (seconds or an HTTP date), or Meta's usage headers' estimated time to regain
    access (minutes), as seconds; None when the response says nothing."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed is not None:
                return max(0.0, (parsed - datetime.now(UTC)).total_seconds())
    return meta_regain_seconds(lowered)


def meta_regain_seconds(headers: Mapping[str, str]) -> float | None:
    """Meta's x-business-use-case-usage / x-ad-account-usage: minutes until calls are allowed
    again, or a usage at 100% (then a minute)."""
    waits: list[float] = []
    for name in ("x-business-use-case-usage", "x-ad-account-usage", "x-app-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [e for v in usage.values() for e in v] if isinstance(usage, dict) and any(
            isinstance(v, list) for v in usage.values()) else [usage]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            minutes = entry.get("estimated_time_to_regain_access") or 0
            if minutes:
                waits.append(float(minutes) * 60)
            elif any(float(entry.get(k) or 0) >= 100 for k in
                     ("call_count", "total_cputime", "total_time", "acc_id_util_pct")):
                waits.append(60.0)
    return max(waits) if waits else None


def classify_http(status: int, headers: Mapping[str, str] | None, detail: str = "") -> None:
    """Raise Transient for a retryable HTTP status; return for a success."""
    if status in RETRY_STATUSES:
        raise Transient(status, retry_after_seconds(headers), detail)


def _wait(policy: PullPolicy) -> Callable[[tenacity.RetryCallState], float]:
    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = policy.backoff_seconds * 2 ** (state.attempt_number - 1)
        asked = getattr(error, "retry_after", None)
        seconds = asked if asked is not None else backoff
        return min(policy.max_wait_seconds, seconds)

    return wait


def call(fn: Callable[[], T], *, platform: str, endpoint: str, day: object = None,
         policy: PullPolicy | None = None) -> T:
    """fn() under the retry policy; PullFailed when it cannot succeed."""
    policy = policy or pull_policy()

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("%s %s%s: %s; try %d of %d in %.1f s", platform, endpoint,
                    f" ({day})" if day else "", error, state.attempt_number + 1,
                    policy.attempts, state.upcoming_sleep)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.attempts), wait=_wait(policy),
        retry=tenacity.retry_if_exception_type(Transient), sleep=lambda s: SLEEP(s),
        before_sleep=before_sleep, reraise=True)
    try:
        return retrying(fn)
    except PullFailed:
        raise
    except Transient as error:
        detail = f"still failing after {policy.attempts} tries" + \
            (f": {error.detail}" if error.detail else "")
        raise PullFailed(platform, endpoint, error.status, day, detail) from error
    except Exception as error:
        status = getattr(error, "status", None) or getattr(error, "status_code", None) \
            or type(error).__name__
        raise PullFailed(platform, endpoint, status, day, _safe(error)) from error


def _safe(error: Exception) -> str:
    """An error's message, short and without anything that looks like a credential."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    for marker in ("access_token=", "Bearer ", "sessionId", "refresh_token="):
        if marker in text:
            text = text.split(marker)[0] + marker + "***"
    return text[:300]
