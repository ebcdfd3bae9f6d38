"""The read-only BI role: reads the published marts, is denied everything else, and never sees a
half-published state while publishes run."""

from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from revwh.core.config import settings
from revwh.core.sources import ALL_SOURCES
from revwh.publish import marts
from revwh.warehouse import access, schema

MARTS = ("bi_spend", "bi_people", "bi_summary")
START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 2, tzinfo=UTC)


def _build_audit(conn: psycopg.Connection, version: int, rows: int = 2000) -> None:
    """Audit copies of three marts whose every row depends on the version."""
    for mart in MARTS:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("audit", mart)))
    conn.execute("create table audit.bi_spend (day date, platform text, spend numeric(12, 2))")
    conn.execute(
        "insert into audit.bi_spend select date '2026-09-01' + (i %% 30), 'p' || (i %% 3),"
        " (i * %s) / 100.0 from generate_series(1, %s) i", (version, rows))
    conn.execute("create table audit.bi_people (person_key text, mqls integer)")
    conn.execute(
        "insert into audit.bi_people select md5(i::text), i %% %s from generate_series(1, %s) i",
        (version + 1, rows + version))
    # Version 2 adds a column: publishing it (or going back) recreates the published table.
    extra = ", note text default 'v2'" if version == 2 else ""
    conn.execute(f"create table audit.bi_summary (version integer, rows bigint{extra})")
    conn.execute("insert into audit.bi_summary (version, rows) values (%s, %s)",
                 (version, rows))
    conn.commit()


@pytest.fixture(scope="module")
def published(warehouse: str) -> str:
    with psycopg.connect(warehouse) as conn:
        schema.ensure(conn)
        _build_audit(conn, 1)
        # Other layers as dbt would make them, owned by the warehouse user.
        for name in ("staging", "intermediate", "reference"):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create table if not exists {} (x int)").format(
                sql.Identifier(name, "some_model")))
        conn.commit()
    marts.publish("access-test-1", START, END, url=warehouse, marts=list(MARTS))
    # The role is the server's, its password this session's home's: a test before this module
    # on the same worker may have set another home's password on it (a stack started with its
    # own REVWH_HOME, a database ensured under one). As a deployment does, set it here.
    access.ensure_bi_role(warehouse)
    return warehouse


def _bi_connect(url: str) -> psycopg.Connection:
    return psycopg.connect(access.bi_url(url), autocommit=True)


def test_the_bi_role_logs_in_with_its_password_as_itself(published: str):
    role = access.bi_role_name()
    assert role == settings().bi_role
    with psycopg.connect(published) as conn:
        stored, can_login, superuser = conn.execute(
            "select rolpassword, rolcanlogin, rolsuper from pg_authid where rolname = %s",
            (role,)).fetchone()
    # The server holds a SCRAM verifier of exactly the password in bi_url, not the password.
    assert stored.startswith("SCRAM-SHA-256$") and access.bi_password() not in stored
    iterations, salt = stored.split("$")[1].split(":")
    assert access.scram_verifier(access.bi_password(), base64.b64decode(salt),
                                 int(iterations)) == stored
    assert can_login and not superuser
    secret = access.password_file()
    assert secret.stat().st_mode & 0o077 == 0, "the generated password is readable by others"
    with _bi_connect(published) as bi:
        assert bi.execute("select current_user").fetchone()[0] == role
        assert bi.execute("show default_transaction_read_only").fetchone()[0] == "on"


def test_the_bi_role_reads_every_published_mart_first_publish_included(published: str):
    with _bi_connect(published) as bi:
        for mart in MARTS:
            count = bi.execute(sql.SQL("select count(*) from {}").format(
                sql.Identifier("marts", mart))).fetchone()[0]
            assert count > 0, mart


DENIED = [
    *sorted({(source.raw_schema, source.raw_table) for source in ALL_SOURCES})[:3],
    ("ops", "quarantine"),
    ("ops", "load_manifest"),
    ("ops", "audit_results"),
    ("ops", "publish_log"),
    ("audit", "bi_spend"),
    ("staging", "some_model"),
    ("intermediate", "some_model"),
    ("reference", "some_model"),
]


@pytest.mark.parametrize(("schema_name", "table"), DENIED)
def test_the_bi_role_is_denied_everything_but_the_marts(published: str, schema_name: str,
                                                       table: str):
    with _bi_connect(published) as bi, pytest.raises(psycopg.errors.InsufficientPrivilege):
        bi.execute(sql.SQL("select * from {} limit 1").format(
            sql.Identifier(schema_name, table)))


def test_every_raw_schema_is_closed_to_the_bi_role(published: str):
    with psycopg.connect(published) as conn:
        rows = conn.execute(
            "select nspname, has_schema_privilege(%s, oid, 'USAGE') from pg_namespace"
            " where nspname not like 'pg\\_%%' and nspname <> 'information_schema'",
            (access.bi_role_name(),)).fetchall()
    usable = sorted(name for name, usage in rows if usage)
    assert usable == ["marts", "public"], usable  # public: empty, and no CREATE for anyone
    assert any(name.startswith("raw_") for name, _ in rows)


@pytest.mark.parametrize("statement", [
    "create table marts.bi_made (x int)",
    "create table public.bi_made (x int)",
    "create temporary table bi_made (x int)",
    "delete from marts.bi_summary",
    "insert into marts.bi_summary values (0, 0)",
    "truncate marts.bi_summary",
    "create schema bi_made",
])
def test_the_bi_role_cannot_write_or_create(published: str, statement: str):
    with _bi_connect(published) as bi:
        bi.execute("set default_transaction_read_only = off")  # privileges, not just read-only
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute(statement)


def test_set_up_takes_back_privileges_granted_by_hand(published: str):
    role = sql.Identifier(access.bi_role_name())
    with psycopg.connect(published) as conn:
        conn.execute(sql.SQL("grant usage on schema staging to {}").format(role))
        conn.execute(sql.SQL("grant select on staging.some_model to {}").format(role))
        conn.execute(sql.SQL("grant insert on marts.bi_summary to {}").format(role))
        conn.commit()
    with _bi_connect(published) as bi:
        bi.execute("select * from staging.some_model")  # the drift is real
    assert access.ensure_bi_role(published) == access.bi_role_name()
    with _bi_connect(published) as bi:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("select * from staging.some_model")
        bi.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("insert into marts.bi_summary values (0, 0)")
        assert bi.execute("select count(*) from marts.bi_summary").fetchone()[0] == 1


def _stored_verifier(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("select rolpassword from pg_authid where rolname = %s",
                            (access.bi_role_name(),)).fetchone()[0]


def test_the_password_is_rotated_from_the_environment_and_left_alone_otherwise(
        published: str, monkeypatch: pytest.MonkeyPatch):
    before = _stored_verifier(published)
    access.ensure_bi_role(published)
    assert _stored_verifier(published) == before  # unchanged password: the role is not touched
    monkeypatch.setenv("REVWH_BI_PASSWORD", "rotated-Pa55-for-the-test")
    access.ensure_bi_role(published)
    rotated = _stored_verifier(published)
    iterations, salt = rotated.split("$")[1].split(":")
    assert access.scram_verifier("rotated-Pa55-for-the-test", base64.b64decode(salt),
                                 int(iterations)) == rotated
    monkeypatch.delenv("REVWH_BI_PASSWORD")
    access.ensure_bi_role(published)  # back to the generated one
    with _bi_connect(published) as bi:
        assert bi.execute("select count(*) from marts.bi_summary").fetchone()[0] == 1


def test_bi_url_carries_the_role_and_a_quoted_password(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVWH_BI_PASSWORD", "p@ss:w/rd ?#%")
    url = access.bi_url("postgresql://owner:secret@db.example:6543/warehouse?sslmode=require")
    assert url == (f"postgresql://{access.bi_role_name()}:p%40ss%3Aw%2Frd%20%3F%23%25"
                   "@db.example:6543/warehouse?sslmode=require")
    assert "owner" not in url and "secret" not in url


def test_a_role_name_that_is_not_a_plain_identifier_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVWH_BI_ROLE", 'bi"; drop table x; --')
    with pytest.raises(Exception, match="REVWH_BI_ROLE"):
        access.bi_role_name()


def _checksums(bi: psycopg.Connection) -> tuple:
    """One consistent view of three marts (one statement, one snapshot)."""
    return bi.execute(
        "select (select count(*) || ':' || sum(spend) from marts.bi_spend),"
        " (select count(*) || ':' || sum(mqls) from marts.bi_people),"
        " (select version || ':' || rows from marts.bi_summary)").fetchone()


def test_a_bi_reader_never_sees_a_half_publish_or_an_error(published: str):
    """A reader as the BI role queries in a loop while the marts are republished again and
    again (alternating contents, and a changed column list, so one table is recreated each
    time):
    every answer is exactly the before- or the after-state, never an error."""
    with psycopg.connect(published) as conn:
        _build_audit(conn, 1)
    marts.publish("access-test-before", START, END, url=published, marts=list(MARTS))
    with _bi_connect(published) as bi:
        state_1 = _checksums(bi)
    with psycopg.connect(published) as conn:
        _build_audit(conn, 2)
    marts.publish("access-test-after", START, END, url=published, marts=list(MARTS))
    with _bi_connect(published) as bi:
        state_2 = _checksums(bi)
    assert state_1 != state_2 and all(a != b for a, b in zip(state_1, state_2, strict=True))

    seen: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            with _bi_connect(published) as bi:
                while not stop.is_set():
                    seen.append(_checksums(bi))
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_ in range(6):
            version = 1 if round_ % 2 == 0 else 2
            with psycopg.connect(published) as conn:
                _build_audit(conn, version)
            marts.publish(f"access-test-{round_}", START, END, url=published,
                            marts=list(MARTS))
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert len(seen) > 20, f"the reader only got {len(seen)} answers"
    unexpected = {state for state in seen if state not in (state_1, state_2)}
    assert not unexpected, f"a reader saw a mixed state: {unexpected}"
    assert state_1 in seen and state_2 in seen, "the reader never saw a publish happen"
