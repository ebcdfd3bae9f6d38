"""Connections to the warehouse: the configured server, or else the embedded PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from revwh.core.config import AIRFLOW_DATABASE, WAREHOUSE_DATABASE, settings
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


def warehouse_url() -> str:
    """The warehouse database URL: WAREHOUSE_URL, or the embedded server (started if needed)."""
    configured = settings().warehouse_url
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
    """host, port, user, password, dbname of a URL, for tools that want them apart (dbt)."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or "postgres",
    }


@contextmanager
def connect(url: str | None = None, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url or warehouse_url(), autocommit=autocommit) as conn:
        yield conn
