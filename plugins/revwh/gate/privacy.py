"""No personal data in the BI-facing marts: a guard the audit runs before anything is published.

People are known to the marts only by a salted hash of their identity key (``person_id``, the
salt from :func:`pii_salt`); their
emails, names and phone numbers stay in the raw, staging and intermediate layers, which the BI
role cannot read (revwh.warehouse.access). The guard fails the run, naming the mart and column, if
one of
the marts about to be published

- has a column whose name says it holds an email, a phone number or a person's name (unless it
  ends in ``_hash`` or ``_key``, i.e. it is a pseudonymous join key), or
- has a value in a text column that looks like an email address or a phone number (checked in
  the database, one pass per mart, with examples in the message).

Columns in :data:`ALLOWED` are exempt, each with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from revwh.core.config import AUDIT_SCHEMA
from revwh.core.errors import WarehouseError

# Column names that announce personal data (matched on whole words of the snake_case name).
PII_NAME = re.compile(
    r"(^|_)(e_?mail|email_?address|phone|phone_?number|mobile|cell|telephone|fax|surname"
    r"|(first|last|full|given|family|middle|maiden|contact|person|customer|lead|user|owner)_?name"
    r")(_|$)")
PSEUDONYM_SUFFIXES = ("_hash", "_key")

# Values that are personal data, as PostgreSQL regular expressions.
EMAIL_VALUE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_VALUE = (
    r"(^|[^0-9A-Za-z])(\+[0-9]{1,3}[ .-]?\(?[0-9]{1,4}\)?([ .-]?[0-9]{2,4}){2,4}"
    r"|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4})($|[^0-9A-Za-z])")
VALUE_PATTERNS = {"an email address": EMAIL_VALUE, "a phone number": PHONE_VALUE}

# information_schema data types whose text may hold them (arrays and enums as their text form)
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "citext", "name",
              "ARRAY", "USER-DEFINED")

# (mart, column): why it may hold what the rules would otherwise refuse.
ALLOWED: dict[tuple[str, str], str] = {
    ("sales_follow_up", "owner_name"):
        "the sales owner's display name: an employee in the sales team, not a lead or customer",
    ("sales_follow_up_summary", "owner_name"):
        "the sales owner's display name: an employee in the sales team, not a lead or customer",
}

EXAMPLES = 3


@dataclass(frozen=True)
class Finding:
    mart: str
    column: str
    problem: str
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        shown = f" (e.g. {', '.join(_mask(e) for e in self.examples)})" if self.examples else ""
        return f"{self.mart}.{self.column}: {self.problem}{shown}"


class PersonalDataInMarts(WarehouseError):
    """A BI-facing mart holds personal data; nothing was published."""

    def __init__(self, findings: list[Finding], schema_name: str):
        self.findings = findings
        super().__init__(
            f"personal data in the BI-facing marts ({schema_name}); nothing was published: "
            + "; ".join(str(f) for f in findings)
            + ". Keep people only as a salted hash (person_id); see revwh/gate/privacy.py")


def _mask(value: str) -> str:
    """Enough of a value to find it, not enough to leak it into logs and alerts."""
    value = value[:60]
    keep = max(2, len(value) // 4)
    return repr(value[:keep] + "…")


def name_problem(column: str) -> str | None:
    name = column.lower()
    if name.endswith(PSEUDONYM_SUFFIXES) or not PII_NAME.search(name):
        return None
    return "its name says it holds personal data (emails, phone numbers or names)"


def _columns(conn: psycopg.Connection, schema_name: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (schema_name, table)).fetchall()


def _scan(conn: psycopg.Connection, schema_name: str, mart: str,
          columns: list[str]) -> list[Finding]:
    """One pass over the mart: for each text column and pattern, a count and examples."""
    if not columns:
        return []
    checks = [(column, label, pattern) for column in columns
              for label, pattern in VALUE_PATTERNS.items()]
    selects = []
    for column, _, pattern in checks:
        value = sql.SQL("{}::text").format(sql.Identifier(column))
        matches = sql.SQL("{} ~ {}").format(value, sql.Literal(pattern))
        selects.append(sql.SQL("count(*) filter (where {m}), (array_agg({v}) filter (where {m}))"
                               "[1:{n}]").format(m=matches, v=value, n=sql.Literal(EXAMPLES)))
    row = conn.execute(sql.SQL("select {} from {}").format(
        sql.SQL(", ").join(selects), sql.Identifier(schema_name, mart))).fetchone()
    findings = []
    for index, (column, label, _) in enumerate(checks):
        count, examples = row[2 * index], row[2 * index + 1]
        if count:
            findings.append(Finding(mart, column, f"{count} value(s) look like {label}",
                                    tuple(examples or ())))
    return findings


def find_personal_data(conn: psycopg.Connection, marts: Iterable[str],
                       schema_name: str = AUDIT_SCHEMA) -> list[Finding]:
    findings: list[Finding] = []
    for mart in marts:
        columns = _columns(conn, schema_name, mart)
        if not columns:
            raise WarehouseError(f"privacy check: {schema_name}.{mart} does not exist")
        text_columns = []
        for column, data_type in columns:
            if (mart, column) in ALLOWED:
                continue
            problem = name_problem(column)
            if problem:
                findings.append(Finding(mart, column, problem))
            if data_type in TEXT_TYPES:
                text_columns.append(column)
        findings.extend(_scan(conn, schema_name, mart, text_columns))
    return findings


def check_marts(marts: Iterable[str], url: str | None = None,
                schema_name: str = AUDIT_SCHEMA) -> int:
    """Raise PersonalDataInMarts naming every mart and column with personal data; return the
    number of marts checked."""
    from revwh.warehouse.connection import connect

    marts = list(marts)
    with connect(url) as conn:
        findings = find_personal_data(conn, marts, schema_name)
    if findings:
        raise PersonalDataInMarts(findings, schema_name)
    return len(marts)
