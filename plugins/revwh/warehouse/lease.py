"""The build lease: one DAG run at a time owns the audit schema, from its dbt build through its
audit to its publish.

dbt builds every run's marts into the one ``audit`` schema, so two runs building at once would
overwrite each other's tables, and a run could publish a build it never audited. Each run
therefore claims the lease before its build (the DAG's setup task, waiting while another run
holds it) and releases it after its publish (the teardown task, which runs whether the build,
audit or publish succeeded or failed). The audit and the publish check that their run still
holds it. The lease is one row of ``ops.build_lease``, claimed and released in one statement
each, so it survives worker restarts and works across Celery workers; a claim older than
``BUILD_LEASE_STALE_MINUTES`` (a run that died without its teardown) may be taken over.
"""

from __future__ import annotations

import psycopg

from revwh.core.config import build_lease_stale_after
from revwh.core.errors import WarehouseError
from revwh.warehouse import schema

LEASE = "audit_schema"


class LeaseLost(WarehouseError):
    """A step that needs the build lease runs in a run that does not hold it."""


def claim(conn: psycopg.Connection, run_id: str) -> str | None:
    """Claim the lease for run_id; None when this run holds it now, else the current holder."""
    schema.ensure(conn)
    with conn.transaction():
        row = conn.execute(
            "insert into ops.build_lease as lease (name, holder, claimed_at)"
            " values (%(name)s, %(run)s, now())"
            " on conflict (name) do update set holder = excluded.holder, claimed_at = now()"
            " where lease.holder is null or lease.holder = excluded.holder"
            " or lease.claimed_at < now() - %(stale)s"
            " returning holder",
            {"name": LEASE, "run": run_id, "stale": build_lease_stale_after()}).fetchone()
        if row is not None:
            return None
        return holder(conn)


def release(conn: psycopg.Connection, run_id: str) -> bool:
    """Release the lease if run_id holds it; True when it did."""
    schema.ensure(conn)
    with conn.transaction():
        cursor = conn.execute(
            "update ops.build_lease set holder = null, claimed_at = null"
            " where name = %s and holder = %s", (LEASE, run_id))
        return cursor.rowcount == 1


def holder(conn: psycopg.Connection) -> str | None:
    row = conn.execute("select holder from ops.build_lease where name = %s",
                       (LEASE,)).fetchone()
    return row[0] if row else None


def require(conn: psycopg.Connection, run_id: str, step: str) -> None:
    """Raise LeaseLost unless run_id holds the lease. Inside a transaction the row stays locked
    (for share) until it ends, so no other run can claim the lease meanwhile."""
    schema.ensure(conn)
    row = conn.execute("select holder from ops.build_lease where name = %s for share",
                       (LEASE,)).fetchone()
    current = row[0] if row else None
    if current != run_id:
        raise LeaseLost(
            f"{step}: run {run_id} does not hold the build lease of the audit schema "
            f"(held by {current or 'no run'}); clear the run's claim_build task to rerun its "
            "build, audit and publish in order")
