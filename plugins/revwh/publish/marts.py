"""Publish: copy the audited marts into the BI-facing schema in one transaction.

BI tools read only the ``marts`` schema. After dbt built the marts into ``audit`` and the audit
passed, each published table's rows are replaced (delete + insert) inside a single transaction:
readers see yesterday's marts until the commit and today's after it, never a mix, never an
error, and the tables keep their identity and grants. If a mart's columns changed, its table is
recreated in the same transaction and its grants re-applied; the BI role (revwh.warehouse.access)
gets
SELECT on every published table, new ones included, in the same transaction. Publishes are
serialized with an advisory lock, so parallel runs cannot interleave; a DAG run's publish also
checks, inside the transaction, that its run still holds the build lease of the audit schema
(revwh.warehouse.lease), so it can only publish the build its own run made and audited.
"""

from __future__ import annotations

import json
from datetime import datetime

import psycopg
from psycopg import sql

from revwh.core.config import AUDIT_SCHEMA, PUBLISHED_SCHEMA, settings
from revwh.core.errors import WarehouseError
from revwh.warehouse import access, lease, schema
from revwh.warehouse.connection import connect

TABLE_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}


def audited_marts() -> list[str]:
    """The marts dbt builds into the audit schema, from the manifest of the last dbt build."""
    manifest_path = settings().dbt_target_dir / "manifest.json"
    if not manifest_path.exists():
        raise WarehouseError(f"no dbt manifest at {manifest_path}: run the build and audit first")
    manifest = json.loads(manifest_path.read_text())
    return sorted(
        node["alias"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == AUDIT_SCHEMA
    )


def _columns(conn: psycopg.Connection, schema_name: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
        " join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped"
        " order by a.attnum", (schema_name, table)).fetchall()


def _grants(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select grantee, privilege_type from information_schema.role_table_grants"
        " where table_schema = %s and table_name = %s and grantee <> current_user",
        (PUBLISHED_SCHEMA, table)).fetchall()


def publish(run_id: str, interval_start: datetime, interval_end: datetime,
            url: str | None = None, marts: list[str] | None = None,
            require_lease: bool = False) -> dict[str, int]:
    """Replace every published mart with its audited copy, atomically; rows per mart.

    With require_lease, run_id must hold the build lease (a DAG run's publish)."""
    marts = marts if marts is not None else audited_marts()
    published: dict[str, int] = {}
    with connect(url) as conn:
        schema.ensure(conn)
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('revwh.publish.marts'))")
            if require_lease:
                lease.require(conn, run_id, "publish")
            for mart in marts:
                source = sql.Identifier(AUDIT_SCHEMA, mart)
                target = sql.Identifier(PUBLISHED_SCHEMA, mart)
                columns = _columns(conn, AUDIT_SCHEMA, mart)
                if not columns:
                    raise WarehouseError(f"publish: {AUDIT_SCHEMA}.{mart} does not exist")
                current = _columns(conn, PUBLISHED_SCHEMA, mart)
                if current != columns:
                    grants = _grants(conn, mart) if current else []
                    conn.execute(sql.SQL("drop table if exists {}").format(target))
                    conn.execute(sql.SQL("create table {} (like {} including all)").format(
                        target, source))
                    for grantee, privilege in grants:
                        if privilege not in TABLE_PRIVILEGES:
                            raise WarehouseError(f"publish: unknown privilege {privilege!r}")
                        conn.execute(sql.SQL("grant {} on {} to {}").format(
                            sql.SQL(privilege), target, sql.Identifier(grantee)))
                else:
                    conn.execute(sql.SQL("delete from {}").format(target))
                names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
                cursor = conn.execute(sql.SQL("insert into {} ({}) select {} from {}").format(
                    target, names, names, source))
                published[mart] = cursor.rowcount
                conn.execute(
                    "insert into ops.publish_log (run_id, interval_start, interval_end, mart,"
                    " rows_published) values (%s, %s, %s, %s, %s)",
                    (run_id, interval_start, interval_end, mart, cursor.rowcount))
            access.grant_marts(conn)
    return published
