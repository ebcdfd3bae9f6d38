"""httpx for the platforms without an official Python client (LinkedIn, the ECB): one client per
pull with the policy's timeout on every call, errors sorted into Transient (retried) or not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from revwh.ingest.pull.base import PullContext
from revwh.ingest.pull.retry import Transient, classify_http


def client(ctx: PullContext, base_url: str, headers: dict | None = None) -> httpx.Client:
    verify: object = ctx.credentials.get("ca_bundle") or True
    return httpx.Client(base_url=base_url, headers=headers or {}, verify=verify,
                        timeout=httpx.Timeout(ctx.policy.timeout_seconds), trust_env=False,
                        follow_redirects=True)


def check(response: httpx.Response) -> None:
    """Transient for a retryable status; HTTPStatusError (not retried) for another failure."""
    if response.is_success:
        return
    detail = response.text[:200] if not response.is_stream_consumed or response.is_closed \
        else ""
    classify_http(response.status_code, response.headers, detail)
    error = httpx.HTTPStatusError(f"HTTP {response.status_code}: {detail}",
                                  request=response.request, response=response)
    error.status = response.status_code  # type: ignore[attr-defined]
    raise error


def get_json(http: httpx.Client, path: str, params: dict | None = None,
             headers: dict | None = None) -> dict:
    try:
        response = http.get(path, params=params, headers=headers)
    except httpx.TimeoutException as error:
        raise Transient("timeout", None, str(error) or "timed out") from error
    except httpx.TransportError as error:
        raise Transient("connection", None, type(error).__name__) from error
    check(response)
    return response.json()


@contextmanager
def stream(http: httpx.Client, path: str, params: dict | None = None,
           headers: dict | None = None) -> Iterator[httpx.Response]:
    try:
        with http.stream("GET", path, params=params, headers=headers) as response:
            if not response.is_success:
                response.read()
            check(response)
            yield response
    except httpx.TimeoutException as error:
        raise Transient("timeout", None, str(error) or "timed out") from error
    except httpx.TransportError as error:
        raise Transient("connection", None, type(error).__name__) from error


class BearerAuth(httpx.Auth):
    """A bearer token, refreshed once when the API answers 401 (an expired token) and a refresh
    is possible; the token is never logged."""

    def __init__(self, token: str, refresh=None) -> None:
        self.token, self.refresh = token, refresh

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401 and self.refresh is not None:
            self.token = self.refresh()
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request
