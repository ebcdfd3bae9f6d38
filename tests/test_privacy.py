"""The privacy guard: no emails, names or phone numbers in the marts BI can read."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from revwh.core.secrets import pii_salt
from revwh.gate import privacy
from revwh.publish.marts import audited_marts


@pytest.mark.parametrize("column", [
    "email", "contact_email", "email_address", "phone", "phone_number", "mobile",
    "first_name", "last_name", "full_name", "firstname", "lead_name", "surname", "Email",
])
def test_column_names_that_announce_personal_data_are_refused(column: str):
    assert privacy.name_problem(column)


@pytest.mark.parametrize("column", [
    "person_id", "email_hash", "email_key", "channel", "campaign_name", "group_name",
    "platform", "owner_id", "sessions", "crm_record_id",
])
def test_ordinary_and_pseudonymous_columns_pass(column: str):
    assert privacy.name_problem(column) is None


@pytest.fixture
def mart(conn: psycopg.Connection):
    """A throw-away mart in the audit schema: (name, create) where create(columns, rows)."""
    conn.execute("create schema if not exists audit")
    name = "privacy_probe"

    def create(columns: str, rows: list[tuple]) -> str:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("audit", name)))
        conn.execute(sql.SQL("create table {} ({})").format(sql.Identifier("audit", name),
                                                            sql.SQL(columns)))
        with conn.cursor() as cur:
            for row in rows:
                cur.execute(sql.SQL("insert into {} values ({})").format(
                    sql.Identifier("audit", name),
                    sql.SQL(", ").join(sql.Placeholder() * len(row))), row)
        conn.commit()
        return name

    yield create
    conn.rollback()
    conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier("audit", name)))
    conn.commit()


def test_a_mart_with_an_email_column_fails_naming_mart_and_column(mart, warehouse: str):
    name = mart("person_id text, email text, mqls int",
                [("0cc175b9c0f1b6a831c399e269772661", None, 1)])
    with pytest.raises(privacy.PersonalDataInMarts, match=rf"{name}\.email: its name says"):
        privacy.check_marts([name], url=warehouse)


def test_emails_and_phone_numbers_in_any_text_column_fail_with_masked_examples(
        mart, warehouse: str):
    name = mart("person_id text, note text, detail jsonb, spend numeric, tags text[]",
                [("a1", "call me at +44 20 7946 0958", None, 1, ["x", "ops@example.org"]),
                 ("a2", None, '{"contact": "Jane.Doe@example.com"}', 2, None),
                 ("a3", "(415) 555-0100", None, 3, None),
                 ("a4", "campaign 2026-09-01 Search - Brand", '{"id": 12345678901}', 4,
                  ["paid_search", "2026-09-01"])])
    with pytest.raises(privacy.PersonalDataInMarts) as raised:
        privacy.check_marts([name], url=warehouse)
    message = str(raised.value)
    assert f"{name}.note: 2 value(s) look like a phone number" in message
    assert f"{name}.detail: 1 value(s) look like an email address" in message
    assert f"{name}.tags: 1 value(s) look like an email address" in message
    assert "Jane.Doe@example.com" not in message and "7946 0958" not in message  # masked
    assert f"{name}.person_id" not in message and f"{name}.spend" not in message


def test_hashed_people_dates_ids_and_channel_names_pass(mart, warehouse: str):
    name = mart("person_id text, channel text, campaign text, crm_record_id text, day date",
                [("0cc175b9c0f1b6a831c399e269772661", "email", "Search - Brand 2026-09",
                  "0035e00000AbCdE", "2026-09-01"),
                 ("92eb5ffee6ae2fec3ad71c777531578f", "paid_social", "Q3 promo 20%", "12345678",
                  "2026-09-02")])
    assert privacy.check_marts([name], url=warehouse) == 1


def test_the_allowed_columns_are_exempt(mart, warehouse: str, monkeypatch: pytest.MonkeyPatch):
    name = mart("owner_id text, owner_name text", [("7", "Dana Whitfield")])
    with pytest.raises(privacy.PersonalDataInMarts, match="owner_name"):
        privacy.check_marts([name], url=warehouse)
    monkeypatch.setitem(privacy.ALLOWED, (name, "owner_name"), "a sales rep (test)")
    assert privacy.check_marts([name], url=warehouse) == 1


def test_the_real_marts_hold_no_personal_data(metrics_warehouse):
    """Every mart dbt builds (45 simulated days with real-looking emails and names upstream)."""
    marts = audited_marts()
    assert len(marts) > 10
    began = time.monotonic()
    assert privacy.check_marts(marts, url=metrics_warehouse.url) == len(marts)
    print(f"privacy check of {len(marts)} marts: {time.monotonic() - began:.2f}s")
    with psycopg.connect(metrics_warehouse.url) as conn:  # the PII upstream is real
        emails, other_keys = conn.execute(
            "select count(*), count(*) filter (where person_id <> md5(%s || identity_key))"
            " from intermediate.int_people__visitors where identity_key like '%%@%%'",
            (pii_salt(),)).fetchone()
    assert emails > 0
    assert other_keys == 0, "person_id is not the hash of the configured salt and the email"


def test_the_salt_is_a_local_secret_or_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path):
    monkeypatch.setenv("REVWH_HOME", str(tmp_path))
    monkeypatch.delenv("REVWH_PII_SALT", raising=False)
    generated = pii_salt()
    assert len(generated) >= 32 and pii_salt() == generated  # made once, then kept
    secret = tmp_path / "secrets" / "pii_salt"
    assert secret.read_text().strip() == generated
    assert secret.stat().st_mode & 0o077 == 0 and secret.parent.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("REVWH_PII_SALT", "from-the-environment")
    assert pii_salt() == "from-the-environment"
