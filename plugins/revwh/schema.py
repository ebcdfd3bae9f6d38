"""The warehouse's own tables: raw landing tables and the ops bookkeeping (manifest, quarantine,
audit results, publish log). Created idempotently, under a lock, by whoever needs them first."""

from __future__ import annotations

import psycopg
from psycopg import sql

from revwh.config import AUDIT_SCHEMA, OPS_SCHEMA, PUBLISHED_SCHEMA, RAW_SCHEMA
from revwh.sources import SOURCES

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

create table if not exists {OPS_SCHEMA}.publish_log (
    run_id            text not null,
    interval_start    timestamptz not null,
    interval_end      timestamptz not null,
    mart              text not null,
    rows_published    bigint not null,
    published_at      timestamptz not null default now()
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


def ensure(conn: psycopg.Connection) -> None:
    """Create schemas and bookkeeping tables if missing (safe to call concurrently)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('revwh.schema'))")
        for schema in (RAW_SCHEMA, OPS_SCHEMA, AUDIT_SCHEMA, PUBLISHED_SCHEMA):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(OPS_DDL)
        for source in SOURCES.values():
            table = sql.Identifier(RAW_SCHEMA, source.raw_table)
            conn.execute(sql.SQL(RAW_DDL).format(table=table))
            conn.execute(sql.SQL("create index if not exists {} on {} (_partition_date)").format(
                sql.Identifier(f"{source.raw_table}_partition"), table))
