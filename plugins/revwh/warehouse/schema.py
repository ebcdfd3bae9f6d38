"""The warehouse's own tables: raw landing tables (raw_<platform>.<entity>) and the ops
bookkeeping (manifest, quarantine, audit results, publish log), and the read-only BI role's
privileges (revwh.warehouse.access). Created idempotently, under a lock, by whoever needs them
first."""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql

from revwh.core.config import AUDIT_SCHEMA, OPS_SCHEMA, PUBLISHED_SCHEMA
from revwh.core.sources import ALL_SOURCES
from revwh.warehouse import access

OPS_DDL = f"""
create table if not exists {OPS_SCHEMA}.load_manifest (
    batch_id          text primary key,
    source            text not null,
    partition_date    date not null,
    file_url          text not null,
    file_sha256       text not null,
    file_bytes        bigint not null,
    rows_in_file      integer not null,
    rows_loaded       integer not null,
    rows_quarantined  integer not null,
    new_fields        text[] not null default '{{}}',
    run_id            text,
    loaded_at         timestamptz not null default now(),
    check (rows_in_file = rows_loaded + rows_quarantined)
);
create index if not exists load_manifest_partition
    on {OPS_SCHEMA}.load_manifest (source, partition_date);

create table if not exists {OPS_SCHEMA}.quarantine (
    source            text not null,
    partition_date    date not null,
    file_url          text not null,
    line_number       integer not null,
    reason            text not null,
    original_text     text not null,
    batch_id          text not null,
    quarantined_at    timestamptz not null default now()
);
create index if not exists quarantine_partition on {OPS_SCHEMA}.quarantine (source, partition_date);

create table if not exists {OPS_SCHEMA}.audit_results (
    run_id            text not null,
    interval_start    timestamptz not null,
    interval_end      timestamptz not null,
    suite             text not null,
    expectation       text not null,
    column_name       text,
    success           boolean not null,
    unexpected_count  bigint,
    examples          jsonb,
    checked_at        timestamptz not null default now()
);
alter table {OPS_SCHEMA}.audit_results add column if not exists batch_day date;
alter table {OPS_SCHEMA}.audit_results add column if not exists description text;
alter table {OPS_SCHEMA}.audit_results add column if not exists evidence text;

create table if not exists {OPS_SCHEMA}.publish_log (
    run_id            text not null,
    interval_start    timestamptz not null,
    interval_end      timestamptz not null,
    mart              text not null,
    rows_published    bigint not null,
    published_at      timestamptz not null default now()
);

create table if not exists {OPS_SCHEMA}.build_lease (
    name              text primary key,
    holder            text,
    claimed_at        timestamptz
);
"""

RAW_DDL = """
create table if not exists {table} (
    _partition_date   date not null,
    _file             text not null,
    _line             integer not null,
    _batch_id         text not null,
    _loaded_at        timestamptz not null default now(),
    record            jsonb not null
)"""


_ENSURED: set[tuple[str, int]] = set()


def _ddl_version() -> str:
    """A fingerprint of everything ensure() creates: it changes when a table or source does."""
    text = "\n".join([OPS_DDL, RAW_DDL, *sorted(s.key for s in ALL_SOURCES)])
    return "revwh ddl " + hashlib.sha256(text.encode()).hexdigest()[:16]


def _applied(conn: psycopg.Connection, version: str) -> bool:
    row = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s",
        (OPS_SCHEMA,)).fetchone()
    return row is not None and row[0] == version


def ensure(conn: psycopg.Connection) -> None:
    """Create schemas and bookkeeping tables if missing (safe to call concurrently); once per
    database per process.

    Once the DDL has been applied, the ops schema's comment records its fingerprint and later
    calls (every Airflow task is a process of its own) run no DDL at all: ``create index if not
    exists`` locks its table even when the index exists, which would deadlock with a parallel
    run's load holding the raw and ops tables."""
    committed = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    version = _ddl_version()
    with conn.transaction():
        database = conn.execute(
            "select oid from pg_database where datname = current_database()").fetchone()[0]
        key = (conn.info.dsn, database)
        if key in _ENSURED:
            return
        if _applied(conn, version):
            if committed:
                _ENSURED.add(key)
            return
        conn.execute("select pg_advisory_xact_lock(hashtext('revwh.warehouse.schema'))")
        if _applied(conn, version):  # by the process we waited for
            if committed:
                _ENSURED.add(key)
            return
        schemas = {OPS_SCHEMA, AUDIT_SCHEMA, PUBLISHED_SCHEMA} | {
            source.raw_schema for source in ALL_SOURCES}
        for name in sorted(schemas):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(name)))
        conn.execute(OPS_DDL)
        for source in ALL_SOURCES:
            table = sql.Identifier(source.raw_schema, source.raw_table)
            conn.execute(sql.SQL(RAW_DDL).format(table=table))
            conn.execute(sql.SQL("create index if not exists {} on {} (_partition_date)").format(
                sql.Identifier(f"{source.raw_table}_partition"), table))
        access.grant_bi(conn)
        conn.execute(sql.SQL("comment on schema {} is {}").format(
            sql.Identifier(OPS_SCHEMA), sql.Literal(version)))
    if committed:  # inside a caller's transaction the DDL may yet be rolled back
        _ENSURED.add(key)
