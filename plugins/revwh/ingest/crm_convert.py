"""Bring your own CRM, the conversion: one CSV row of an export as a common-model record.

``map_row`` turns one row into a record plus its issues, by the mapping's rules
(revwh.ingest.crm_spec); a row with any issue is quarantined by the loader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

Kind = Literal[
    "text", "timestamp", "date", "decimal", "integer", "currency", "boolean",
    "lead_stage", "deal_stage", "channel",
]
IssueKind = Literal["empty", "unmapped", "invalid"]

KIND_NAMES = {"lead_stage": "lead stage", "deal_stage": "deal stage", "channel": "channel"}


@dataclass(frozen=True)
class ColumnRule:
    """How one field of the common model is read from one CSV column."""

    field: str
    kind: Kind
    required: bool
    column: str
    path: str  # key path in the mapping file, for messages
    format: str | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    decimal: str = "."
    values: Mapping[str, str] = field(default_factory=dict)  # normalized CRM value -> common
    explicit_values: bool = False
    default: str | None = None
    allowed: tuple[str, ...] = ()  # the common values, listed when a value is unmapped


@dataclass(frozen=True)
class Issue:
    """Why one field of one row could not be mapped; str() is the one-line quarantine reason."""

    field: str
    column: str
    value: str
    reason: str
    kind: IssueKind = "invalid"

    def __str__(self) -> str:
        value = f" value {quote(self.value)}" if self.value else ""
        return f"{self.field}: column {quote(self.column)}{value} {self.reason}"


def norm(value: str) -> str:
    """How CRM values are compared: surrounding whitespace trimmed, runs of it one space,
    case ignored."""
    return " ".join(value.split()).casefold()


def quote(value: str, limit: int = 80) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)


class BadValue(Exception):
    kind: IssueKind = "invalid"


class Unmapped(BadValue):
    kind: IssueKind = "unmapped"


def convert(rule: ColumnRule, text: str) -> Any:
    """A non-empty, trimmed cell as the field's common-model value; or BadValue."""
    match rule.kind:
        case "text":
            return text
        case "timestamp":
            return _timestamp(text, rule.format, rule.zone)
        case "date":
            return _date(text, rule.format).isoformat()
        case "decimal":
            return str(_number(text, rule.decimal))
        case "integer":
            return _integer(text, rule.decimal)
        case "currency":
            return _currency(text)
        case "boolean":
            return _boolean(text)
        case _:
            return _choice(text, rule)


def _read_datetime(text: str, fmt: str | None, what: str) -> datetime:
    try:
        return datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        example = "2025-01-31" if what == "date" else "2025-01-31T09:30:00"
        expected = f"in format {quote(fmt)}" if fmt else f"in ISO 8601 ({example})"
        raise BadValue(f"is not a {what} {expected}") from None


# strptime directives that read a time of day; a format without any holds a date only
TIME_DIRECTIVES = frozenset("HIpMSfzZXc")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_date_only(fmt: str | None, text: str) -> bool:
    """Whether a timestamp cell holds a date only: its format has no time of day, or (without
    a format) it is an ISO date such as 2017-10-15."""
    if fmt is None:
        return bool(ISO_DATE.fullmatch(text))
    return not any(d in TIME_DIRECTIVES for d in re.findall(r"%(.?)", fmt))


def _timestamp(text: str, fmt: str | None, zone: ZoneInfo) -> str:
    moment = _read_datetime(text, fmt, "date/time")
    if moment.tzinfo is None and is_date_only(fmt, text):
        # A date, not a moment: no wall clock to place in the zone (midnight may not exist
        # there, e.g. 2017-10-15 in America/Sao_Paulo). The day is kept as it is: 00:00 UTC of
        # that date, which the marts report as that same day (they count days in UTC).
        return moment.date().isoformat() + "T00:00:00Z"
    if moment.tzinfo is None:
        moment = _localize(moment, zone)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in the zone; a repeated hour (DST ends) reads as its first occurrence,
    an hour the clocks skipped (DST starts) is an error."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise BadValue(
            f"does not exist in {zone.key} (the clocks skipped that hour when daylight saving "
            "time started); if the export writes local times, check the cell; if it writes UTC "
            "or another zone, set `timezone` on this column")
    return aware


def _date(text: str, fmt: str | None) -> date:
    return _read_datetime(text, fmt, "date").date()


_NUMBER: dict[str, re.Pattern[str]] = {
    decimal: re.compile(
        rf"[+-]?(?:\d{{1,3}}(?:[{re.escape(thousands)} \u00a0\u202f']\d{{3}})+|\d+)"
        rf"(?:{re.escape(decimal)}\d+)?")
    for decimal, thousands in ((".", ","), (",", "."))
}


def _number(text: str, decimal: str) -> Decimal:
    if not _NUMBER[decimal].fullmatch(text):
        mark = "point" if decimal == "." else "comma"
        raise BadValue(f'is not a number (decimal {mark} "{decimal}", thousands grouped by 3)')
    whole, _, fraction = text.partition(decimal)
    digits = re.sub(r"[^\d+-]", "", whole)
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _integer(text: str, decimal: str) -> int:
    number = _number(text, decimal)
    if number != number.to_integral_value():
        raise BadValue("is not a whole number")
    return int(number)


def _currency(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise BadValue("is not a 3-letter ISO 4217 currency code")
    return text.upper()


# How an export writes yes and no (compared ignoring case); an empty cell is no value (null).
BOOLEANS = {"true": True, "yes": True, "y": True, "1": True, "t": True,
            "false": False, "no": False, "n": False, "0": False, "f": False}


def _boolean(text: str) -> bool:
    try:
        return BOOLEANS[norm(text)]
    except KeyError:
        raise BadValue("is not a yes/no value (true/false, yes/no, y/n, t/f or 1/0, any "
                       "case; empty for no value)") from None


def _choice(text: str, rule: ColumnRule) -> str:
    common = rule.values.get(norm(text), rule.default)
    if common is not None:
        return common
    allowed = (f"; allowed {KIND_NAMES[rule.kind]}s: {', '.join(rule.allowed)}"
               if rule.allowed else "")
    if rule.explicit_values:
        raise Unmapped(f"is not mapped: not in {rule.path}.values, and there is no default"
                       + allowed)
    raise Unmapped(f"is not mapped: not a {KIND_NAMES[rule.kind]}, and {rule.path} has no "
                   "values" + allowed)


# ---------------------------------------------------------------- validating an export
