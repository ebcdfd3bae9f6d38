"""Connections to the warehouse: the Airflow Connection named by REVWH_WAREHOUSE_CONN_ID, else
WAREHOUSE_URL, else the embedded PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from revwh.core.config import AIRFLOW_DATABASE, WAREHOUSE_DATABASE, settings
from revwh.core.errors import WarehouseError
from revwh.warehouse import embedded_pg


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def ensure_database(url: str) -> None:
    """Create the URL's database if the server lacks it (needs CREATEDB; skipped if it exists)."""
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))


# libpq's connection parameters a Connection's extra may carry into the URL
LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout",
                "application_name", "target_session_attrs")


def connection_url(conn_id: str) -> str:
    """The URL of the Airflow Connection `conn_id` (the UI, AIRFLOW_CONN_<ID> or a secrets
    backend): host, port, login, password, schema (the database) and libpq's extras."""
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except Exception as error:  # AirflowNotFoundException, a secrets backend's own errors
        raise WarehouseError(
            f"REVWH_WAREHOUSE_CONN_ID={conn_id}: the Airflow Connection {conn_id} cannot be "
            f"read ({type(error).__name__}: {str(error)[:200]}); create it (docs/configuration.md"
            f", 'The warehouse as an Airflow Connection') or unset the setting") from None
    if conn.conn_type not in ("postgres", "postgresql") or not conn.host or not conn.schema:
        raise WarehouseError(
            f"the Airflow Connection {conn_id} (REVWH_WAREHOUSE_CONN_ID) must be of type "
            f"postgres with a host and a schema (the database); got type {conn.conn_type!r}, "
            f"host {conn.host!r}, schema {conn.schema!r}")
    login = quote(conn.login or "", safe="")
    secret = f":{quote(conn.password, safe='')}" if conn.password else ""
    auth = f"{login}{secret}@" if login else ""
    port = f":{conn.port}" if conn.port else ""
    extras = {k: str(v) for k, v in (conn.extra_dejson or {}).items() if k in LIBPQ_EXTRAS}
    query = f"?{urlencode(extras)}" if extras else ""
    return f"postgresql://{auth}{conn.host}{port}/{quote(conn.schema, safe='')}{query}"


def warehouse_url() -> str:
    """The warehouse database URL: the Airflow Connection REVWH_WAREHOUSE_CONN_ID names, else
    WAREHOUSE_URL, else the embedded server (started if needed)."""
    conf = settings()
    if conf.warehouse_conn_id:
        return connection_url(conf.warehouse_conn_id)
    configured = conf.warehouse_url
    if configured:
        return configured
    url = embedded_pg.start().url(WAREHOUSE_DATABASE)
    ensure_database(url)
    return url


def airflow_metadata_url() -> str:
    """Airflow's metadata database: a database named 'airflow' on the warehouse's server."""
    url = _with_database(warehouse_url(), AIRFLOW_DATABASE)
    ensure_database(url)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2"))


def url_parts(url: str) -> dict[str, str]:
    """host, port, user, password, dbname and sslmode of a URL, for tools that want them apart
    (dbt)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": unquote(parts.path.lstrip("/")) or "postgres",
        "sslmode": query.get("sslmode") or "prefer",
    }


@contextmanager
def connect(url: str | None = None, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url or warehouse_url(), autocommit=autocommit) as conn:
        yield conn
