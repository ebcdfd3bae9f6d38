"""A pulled platform's credentials, from its Airflow Connection (the UI, AIRFLOW_CONN_<ID> or a
secrets backend): one connection id per platform (revwh.core.config.pull_conn_id), resolved
here so that the ingest layer gets plain values and never imports Airflow. Airflow masks the
password and the secret-looking extras in task logs; nothing here logs a value.

A Connection's fields: host = the API's base URL (or instance URL, or gRPC endpoint), password =
the access token (session id), extra = the rest (account ids, refresh tokens, client id and
secret, developer token, a service account's key; `ca_bundle` for a private CA).
"""

from __future__ import annotations

from revwh.core.config import pull_conn_id
from revwh.core.errors import PullFailed


def credentials(platform: str) -> dict:
    from airflow.sdk import Connection

    conn_id = pull_conn_id(platform)
    try:
        conn = Connection.get(conn_id)
    except Exception as error:  # AirflowNotFoundException, a secrets backend's own errors
        raise PullFailed(platform, f"connection {conn_id}", "missing",
                         detail=f"create the Airflow Connection {conn_id} "
                                f"(docs/sources.md): {type(error).__name__}") from None
    values: dict = dict(conn.extra_dejson or {})
    if conn.host:
        host = conn.host
        if conn.port and f":{conn.port}" not in host:
            host = f"{host}:{conn.port}"
        values.setdefault("host", host)
    if conn.login:
        values.setdefault("login", conn.login)
    if conn.password:
        values.setdefault("access_token", conn.password)
    return values
