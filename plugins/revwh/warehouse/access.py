"""The read-only BI role: it can SELECT the published marts and nothing else.

BI tools (Superset, notebooks, analysts' SQL clients) log in as ``REVWH_BI_ROLE`` (default
``revwh_bi``). The role gets CONNECT on the warehouse database, USAGE on the ``marts`` schema and
SELECT on its tables, now and in future (default privileges, so a mart published for the first
time is readable at once). Every other schema of the warehouse (raw_*, reference, staging,
intermediate, audit, semantic, ops with its quarantine, public) is closed to it: anything ever
granted there is revoked, PUBLIC may not create in ``public`` nor make temporary tables, and the
role's sessions are read-only by default.

Its password comes from ``REVWH_BI_PASSWORD``; if that is unset, one is generated once and kept
in ``$REVWH_HOME/secrets/bi_password`` (mode 0600, outside the tracked files). The server only
ever receives a SCRAM-SHA-256 verifier of it, never the password itself.

The set-up (``schema.ensure``, called by whoever touches the warehouse first, and
``revwh.ops.cli bi-role``) calls :func:`grant_bi` / :func:`ensure_bi_role`; publish re-applies the
marts' grants in its transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from revwh.core import secrets as local_secrets
from revwh.core.config import PUBLISHED_SCHEMA, settings
from revwh.core.errors import WarehouseError

log = logging.getLogger(__name__)

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PASSWORD_FILE = "bi_password"
SCRAM_ITERATIONS = 4096
# Schemas the BI role may see into only through the catalog (always readable in PostgreSQL).
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def bi_role_name() -> str:
    """The BI role's name (REVWH_BI_ROLE), checked to be a plain lower-case identifier."""
    name = settings().bi_role
    if not ROLE_NAME.match(name):
        raise WarehouseError(
            f"REVWH_BI_ROLE={name!r} is not a plain role name (lower-case letters, digits, _)")
    return name


def password_file() -> Path:
    return local_secrets.path_of(PASSWORD_FILE)


def bi_password() -> str:
    """REVWH_BI_PASSWORD, or the generated one kept in $REVWH_HOME/secrets (made once)."""
    return settings().bi_password or local_secrets.read_or_create(PASSWORD_FILE)


def scram_verifier(password: str, salt: bytes | None = None,
                   iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of a password (what ``\\password`` in psql sends), so
    the password itself never reaches the server or its logs."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _password_literal(password: str) -> sql.Composable:
    # SASLprep leaves ASCII unchanged; for anything else let the server hash it (still quoted).
    return sql.Literal(scram_verifier(password) if password.isascii() else password)


def _schemas(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select nspname from pg_namespace where nspname <> all(%s)"
        " and nspname not like 'pg\\_temp\\_%%' and nspname not like 'pg\\_toast\\_temp\\_%%'"
        " order by 1", (list(SYSTEM_SCHEMAS),)).fetchall()
    return [name for (name,) in rows]


def _up_to_date(conn: psycopg.Connection, role: str, password: str) -> bool:
    """The role has exactly the attributes we set and this password (checked against its SCRAM
    verifier where we may read it), so that it need not be altered."""
    row = conn.execute(
        "select rolcanlogin and not (rolsuper or rolcreatedb or rolcreaterole or rolreplication"
        " or rolbypassrls) and rolinherit, has_table_privilege('pg_authid', 'select')"
        " from pg_roles where rolname = %s", (role,)).fetchone()
    if not row or not row[0] or not row[1]:
        return False
    stored = conn.execute("select rolpassword from pg_authid where rolname = %s",
                          (role,)).fetchone()[0] or ""
    match = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$[^:]+:.+", stored)
    if not match or not password.isascii():
        return False
    salt = base64.b64decode(match.group(2))
    return hmac.compare_digest(scram_verifier(password, salt, int(match.group(1))), stored)


def _ensure_role(conn: psycopg.Connection, role: str, password: str) -> None:
    ident = sql.Identifier(role)
    options = sql.SQL("login nosuperuser nocreatedb nocreaterole noreplication nobypassrls"
                      " inherit password {}").format(_password_literal(password))
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    if not exists:
        try:
            with conn.transaction():  # a savepoint: another database's set-up may race us
                conn.execute(sql.SQL("create role {} {}").format(ident, options))
                log.info("created the BI role %s", role)
                exists = None
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            exists = (1,)
        except psycopg.errors.InsufficientPrivilege as error:
            raise WarehouseError(
                f"cannot create the BI role {role!r}: the warehouse user "
                f"{conn.info.user!r} lacks CREATEROLE ({error}). Create it once as an "
                f"administrator (CREATE ROLE {role} LOGIN PASSWORD ...), or grant CREATEROLE"
            ) from error
    if exists and _up_to_date(conn, role, password):
        pass
    elif exists:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("alter role {} {}").format(ident, options))
        except psycopg.errors.InsufficientPrivilege as error:
            log.warning("BI role %s exists but %s may not alter it (%s): its password and "
                        "attributes are left as they are", role, conn.info.user, error)
    with conn.transaction():
        conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(
            ident))


def grant_bi(conn: psycopg.Connection, role: str | None = None,
             password: str | None = None) -> str:
    """Create or update the BI role and set its privileges in this connection's database
    (inside the caller's transaction, if any). Idempotent; returns the role's name."""
    role = role or bi_role_name()
    password = password or bi_password()
    ident = sql.Identifier(role)
    published = sql.Identifier(PUBLISHED_SCHEMA)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('revwh.warehouse.access'))")
        _ensure_role(conn, role, password)
        database = sql.Identifier(conn.info.dbname)
        conn.execute(sql.SQL("grant connect on database {} to {}").format(database, ident))
        owns_database = conn.execute(
            "select pg_get_userbyid(datdba) = current_user"
            " or (select rolsuper from pg_roles where rolname = current_user)"
            " from pg_database where datname = current_database()").fetchone()[0]
        if owns_database:  # no temporary tables for PUBLIC (the owner keeps them)
            conn.execute(sql.SQL("revoke temporary on database {} from public").format(database))
            conn.execute(sql.SQL("revoke temporary on database {} from {}").format(
                database, ident))
        for name in _schemas(conn):
            schema_ident = sql.Identifier(name)
            if name == PUBLISHED_SCHEMA:
                continue
            conn.execute(sql.SQL("revoke all on schema {} from {}").format(schema_ident, ident))
            conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(
                schema_ident, ident))
            conn.execute(sql.SQL("revoke all on all sequences in schema {} from {}").format(
                schema_ident, ident))
            conn.execute(sql.SQL("alter default privileges in schema {} revoke all on tables"
                                 " from {}").format(schema_ident, ident))
        if "public" in _schemas(conn):
            conn.execute("revoke create on schema public from public")
        conn.execute(sql.SQL("create schema if not exists {}").format(published))
        conn.execute(sql.SQL("revoke create on schema {} from {}").format(published, ident))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(published, ident))
        conn.execute(sql.SQL("revoke all on all tables in schema {} from {}").format(
            published, ident))
        grant_marts(conn, role)
        conn.execute(sql.SQL("alter default privileges in schema {} grant select on tables"
                             " to {}").format(published, ident))
    return role


def grant_marts(conn: psycopg.Connection, role: str | None = None) -> None:
    """SELECT on every table of the published schema for the BI role (in the caller's
    transaction; serialized with grant_bi, as concurrent grants on one table would collide)."""
    conn.execute("select pg_advisory_xact_lock(hashtext('revwh.warehouse.access'))")
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
        sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(role or bi_role_name())))


def ensure_bi_role(url: str | None = None) -> str:
    """Create or update the BI role and its privileges in the warehouse; returns its name."""
    from revwh.warehouse.connection import connect

    with connect(url) as conn:
        return grant_bi(conn)


def bi_url(url: str | None = None) -> str:
    """The warehouse URL with the BI role's user and password (for local use: it holds the
    password)."""
    from revwh.warehouse.connection import warehouse_url

    parts = urlsplit(url or warehouse_url())
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{quote(bi_role_name(), safe='')}:{quote(bi_password(), safe='')}@{host}"
              + (f":{parts.port}" if parts.port else ""))
    return urlunsplit(parts._replace(netloc=netloc))
