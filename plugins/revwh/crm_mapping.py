"""Bring your own CRM: map a CSV export of leads and deals onto the common model, without code.

A YAML mapping file (see docs/byo-crm.md) says which CSV column holds each field of the common
lead and deal model, how its dates and numbers are written, and how the CRM's status, stage and
source values map onto the common values. ``load_mapping`` checks the file itself; ``map_row``
turns one CSV row into a common-model record plus its issues (a row with any issue is
quarantined by the loader); ``validate`` runs a whole export through the mapping and reports
every problem before anything is loaded:

    python -m revwh.crm_mapping validate --mapping FILE --leads CSV [--deals CSV]

exits 0 when every row maps, 1 when some do not, 2 when the mapping file itself is broken.
Importing this module has no side effects.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.constructor import ConstructorError

from revwh.errors import WarehouseError

Kind = Literal[
    "text", "timestamp", "date", "decimal", "integer", "currency",
    "lead_stage", "deal_stage", "channel",
]
IssueKind = Literal["empty", "unmapped", "invalid"]

LEAD_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer",
               "disqualified", "other")
DEAL_STAGES = ("open", "closed_won", "closed_lost")
# The channel taxonomy is the dbt seed's, so a channel added there is mappable at once.

SUPPORTED_VERSION = 1
CRM_NAME = re.compile(r"[a-z0-9_]+")
TOP_KEYS = ("version", "crm", "timezone", "delimiter", "entities")
ENTITY_KEYS = ("columns", "constants")
CHOICE_KINDS = ("lead_stage", "deal_stage", "channel")
OPTIONS: dict[str, tuple[str, ...]] = {
    "text": ("column",),
    "currency": ("column",),
    "timestamp": ("column", "format", "timezone"),
    "date": ("column", "format"),
    "decimal": ("column", "decimal"),
    "integer": ("column", "decimal"),
    **{kind: ("column", "values", "default") for kind in CHOICE_KINDS},
}
KIND_NAMES = {"lead_stage": "lead stage", "deal_stage": "deal stage", "channel": "channel"}
# Directives datetime.strptime understands (Python 3.11).
STRPTIME_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
FORMAT_PROBE = datetime(2031, 12, 25, 13, 47, 59, 123456, tzinfo=UTC)
MAX_UNMAPPED_VALUES = 200  # distinct unmapped values listed per field
MAX_EXAMPLES = 5  # examples of unparseable values, and line numbers, listed per field


@dataclass(frozen=True)
class TargetField:
    name: str
    kind: Kind
    required: bool = False


def _fields(*specs: tuple[str, Kind] | tuple[str, Kind, bool]) -> tuple[TargetField, ...]:
    return tuple(TargetField(*spec) for spec in specs)


MODEL: dict[str, tuple[TargetField, ...]] = {
    "leads": _fields(
        ("lead_id", "text", True), ("email", "text"), ("first_name", "text"),
        ("last_name", "text"), ("company", "text"), ("owner", "text"),
        ("created_at", "timestamp", True), ("updated_at", "timestamp"),
        ("stage", "lead_stage", True), ("channel", "channel"),
        ("self_reported_source", "text"), ("score", "integer"), ("rejection_reason", "text"),
        ("converted_deal_id", "text"),
    ),
    "deals": _fields(
        ("deal_id", "text", True), ("lead_id", "text"), ("account_name", "text"),
        ("name", "text"), ("owner", "text"), ("amount", "decimal", True),
        ("currency", "currency", True), ("stage", "deal_stage", True),
        ("pipeline_stage", "text"), ("created_at", "timestamp", True), ("close_date", "date"),
        ("lost_reason", "text"),
    ),
}


class MappingError(WarehouseError):
    """The mapping file is broken; the message names the file and the key path."""


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


@dataclass(frozen=True)
class EntityMapping:
    name: str
    rules: tuple[ColumnRule, ...]
    constants: Mapping[str, Any]


@dataclass(frozen=True)
class CrmMapping:
    path: Path
    crm: str
    timezone: ZoneInfo
    delimiter: str
    entities: Mapping[str, EntityMapping]


@dataclass(frozen=True)
class Issue:
    """Why one field of one row could not be mapped; str() is the one-line quarantine reason."""

    field: str
    column: str
    value: str
    reason: str
    kind: IssueKind = "invalid"

    def __str__(self) -> str:
        value = f" value {_quote(self.value)}" if self.value else ""
        return f"{self.field}: column {_quote(self.column)}{value} {self.reason}"


# ---------------------------------------------------------------- reading the mapping file


class _Mistake(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


class _StrictLoader(yaml.SafeLoader):
    """safe_load, except that a key given twice in one mapping is an error, not last-wins."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                continue  # unhashable: the base class reports it
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_mapping(path: str | Path) -> CrmMapping:
    """Read and check a mapping file; any mistake raises MappingError naming file and key."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise MappingError(f"{source}: cannot be read ({err})") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader
    except yaml.YAMLError as err:
        raise MappingError(f"{source}: not valid YAML: {_yaml_problem(err)}") from None
    try:
        return _parse_mapping(document, Path(path))
    except _Mistake as mistake:
        where = f"{mistake.path}: " if mistake.path else ""
        raise MappingError(f"{source}: {where}{mistake.message}") from None


def _yaml_problem(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        mark = err.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {err.problem}"
    return str(err).replace("\n", " ")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _keys(obj: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    """obj as a dict whose keys are all allowed and include every required one."""
    if not isinstance(obj, dict):
        what = "the file" if not path else "this key"
        raise _Mistake(path, f"{what} must hold a mapping with keys {', '.join(allowed)}")
    for key in obj:
        if key not in allowed:
            raise _Mistake(_join(path, str(key)),
                           f"unknown key; allowed here: {', '.join(allowed)}")
    missing = [key for key in required if key not in obj]
    if missing:
        raise _Mistake(path, f"missing key {', '.join(missing)}")
    return obj


def _text(obj: Any, path: str, what: str = "text") -> str:
    if not isinstance(obj, str) or not obj.strip():
        raise _Mistake(path, f"must be {what} (got {obj!r})")
    return obj.strip()


def _zone(obj: Any, path: str) -> ZoneInfo:
    name = _text(obj, path, "an IANA time zone name such as Europe/Berlin or UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Mistake(path, f"{name!r} is not an IANA time zone name") from None


def _parse_mapping(document: Any, path: Path) -> CrmMapping:
    top = _keys(document, "", TOP_KEYS, required=("version", "crm", "timezone", "entities"))
    if top["version"] != SUPPORTED_VERSION or isinstance(top["version"], bool):
        raise _Mistake("version", f"{top['version']!r} is not supported; write version: 1")
    crm = _text(top["crm"], "crm", "a name made of a-z, 0-9 and _")
    if not CRM_NAME.fullmatch(crm):
        raise _Mistake("crm", f"{crm!r} must be made of a-z, 0-9 and _ only")
    zone = _zone(top["timezone"], "timezone")
    delimiter = top.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise _Mistake("delimiter", f"must be one character such as , or ; (got {delimiter!r})")
    entities = _keys(top["entities"], "entities", tuple(MODEL), required=("leads",))
    channels = _channels()
    parsed = {name: _parse_entity(name, spec, zone, channels) for name, spec in entities.items()}
    return CrmMapping(path=path, crm=crm, timezone=zone, delimiter=delimiter, entities=parsed)


def _channels() -> tuple[str, ...]:
    """The channel taxonomy of the lead definition contract."""
    from revwh import contract

    try:
        return tuple(contract.channels())
    except contract.ContractError as err:
        raise _Mistake("", f"the channel taxonomy cannot be read ({err})") from None


def _parse_entity(name: str, spec: Any, zone: ZoneInfo, channels: tuple[str, ...]
                  ) -> EntityMapping:
    path = f"entities.{name}"
    spec = _keys(spec, path, ENTITY_KEYS, required=("columns",))
    targets = {target.name: target for target in MODEL[name]}
    columns = _keys(spec["columns"], f"{path}.columns", tuple(targets))
    constants = _keys(spec.get("constants") or {}, f"{path}.constants", tuple(targets))
    rules = tuple(_parse_rule(targets[key], value, f"{path}.columns.{key}", zone, channels)
                  for key, value in columns.items())
    fixed = {key: _constant(targets[key], value, f"{path}.constants.{key}", columns, channels)
             for key, value in constants.items()}
    unmapped = [t.name for t in MODEL[name] if t.required and t.name not in columns | constants]
    if unmapped:
        raise _Mistake(f"{path}.columns", f"required field {', '.join(unmapped)} not mapped "
                       f"(map it to a column, or give it in {path}.constants)")
    return EntityMapping(name=name, rules=rules, constants=fixed)


def _parse_rule(target: TargetField, spec: Any, path: str, zone: ZoneInfo,
                channels: tuple[str, ...]) -> ColumnRule:
    if isinstance(spec, str):
        spec = {"column": spec}
    options = _keys(spec, path, OPTIONS[target.kind], required=("column",))
    column = _text(options["column"], f"{path}.column", "a column name")
    zone = _zone(options["timezone"], f"{path}.timezone") if "timezone" in options else zone
    fmt = options.get("format")
    if fmt is not None:
        _check_format(fmt, f"{path}.format")
    decimal = options.get("decimal", ".")
    if decimal not in (".", ","):
        raise _Mistake(f"{path}.decimal", f'must be "." or "," (got {decimal!r})')
    allowed = _allowed(target.kind, channels)
    values = {_norm(v): v for v in allowed}
    if "values" in options:
        values = _value_map(options["values"], f"{path}.values", target.kind, allowed)
    default = None
    if options.get("default") is not None:
        default = _common_value(options["default"], f"{path}.default", target.kind, allowed)
    return ColumnRule(field=target.name, kind=target.kind, required=target.required,
                      column=column, path=path, format=fmt, zone=zone, decimal=decimal,
                      values=values, explicit_values="values" in options, default=default)


def _check_format(fmt: Any, path: str) -> None:
    if not isinstance(fmt, str) or not fmt.strip():
        raise _Mistake(path, f"must be a strptime format such as %d.%m.%Y %H:%M (got {fmt!r})")
    for directive in re.findall(r"%(.?)", fmt):
        if directive not in STRPTIME_DIRECTIVES:
            raise _Mistake(path, f"%{directive} in {fmt!r} is not a strptime directive")
    if "%I" in fmt and "%p" not in fmt:
        raise _Mistake(path, f"{fmt!r} uses %I (12-hour clock) without %p (AM/PM)")
    try:
        probe = datetime.strptime(FORMAT_PROBE.strftime(fmt), fmt)
    except ValueError as err:
        raise _Mistake(path, f"{fmt!r} cannot read back what it writes ({err})") from None
    if probe.date() != FORMAT_PROBE.date():
        raise _Mistake(path, f"{fmt!r} does not hold a full date (year, month and day)")


def _allowed(kind: Kind, channels: tuple[str, ...]) -> tuple[str, ...]:
    return {"lead_stage": LEAD_STAGES, "deal_stage": DEAL_STAGES, "channel": channels}.get(
        kind, ())


def _common_value(obj: Any, path: str, kind: Kind, allowed: tuple[str, ...]) -> str:
    if obj not in allowed:
        raise _Mistake(path, f"{obj!r} is not a {KIND_NAMES[kind]}; allowed: "
                       f"{', '.join(allowed)}")
    return obj


def _value_map(obj: Any, path: str, kind: Kind, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(obj, dict) or not obj:
        raise _Mistake(path, 'must map CRM values to common values, e.g. {"Working": sal}')
    mapped: dict[str, str] = {}
    first: dict[str, str] = {}
    for key, target in obj.items():
        key_path = f"{path}[{_quote(str(key))}]"
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise _Mistake(key_path, f"YAML read this key as {type(key).__name__} {key!r}; "
                           "put the CRM value in quotes")
        norm = _norm(str(key))
        if not norm:
            raise _Mistake(key_path, "an empty cell is null and cannot be mapped")
        if norm in mapped:
            raise _Mistake(key_path, f"repeats {_quote(first[norm])} (values match ignoring "
                           "case and surrounding whitespace)")
        mapped[norm] = _common_value(target, key_path, kind, allowed)
        first[norm] = str(key)
    return mapped


def _constant(target: TargetField, obj: Any, path: str, columns: dict,
              channels: tuple[str, ...]) -> Any:
    if target.name in columns:
        raise _Mistake(path, f"{target.name} is also mapped to a column; keep one of the two")
    if isinstance(obj, bool) or not isinstance(obj, str | int | float):
        raise _Mistake(path, f"must be a single value (got {obj!r}); put it in quotes")
    if target.kind in CHOICE_KINDS:
        return _common_value(obj, path, target.kind, _allowed(target.kind, channels))
    rule = ColumnRule(field=target.name, kind=target.kind, required=target.required, column="",
                      path=path)
    try:
        return _convert(rule, str(obj).strip())
    except _BadValue as bad:
        raise _Mistake(path, f"{_quote(str(obj))} {bad}") from None


# ---------------------------------------------------------------- mapping rows


class _BadValue(Exception):
    kind: IssueKind = "invalid"


class _Unmapped(_BadValue):
    kind: IssueKind = "unmapped"


def _norm(value: str) -> str:
    """How CRM values are compared: surrounding whitespace trimmed, runs of it one space,
    case ignored."""
    return " ".join(value.split()).casefold()


def _quote(value: str, limit: int = 80) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)


def _entity(mapping: CrmMapping, entity: str) -> EntityMapping:
    try:
        return mapping.entities[entity]
    except KeyError:
        raise MappingError(f"{mapping.path}: entities.{entity}: not in the mapping") from None


def required_columns(mapping: CrmMapping, entity: str) -> list[str]:
    """The CSV columns the mapping reads for the entity, in mapping order, each once."""
    return list(dict.fromkeys(rule.column for rule in _entity(mapping, entity).rules))


def map_row(mapping: CrmMapping, entity: str, row: Mapping[str, str | None]
            ) -> tuple[dict[str, Any], list[Issue]]:
    """One CSV row (header -> cell) as a common-model record, and what could not be mapped.

    The record has every field of the entity (None where the cell is empty or has an issue)
    and is JSON-serializable. Any issue means the row must not be loaded as it is.
    """
    spec = _entity(mapping, entity)
    record: dict[str, Any] = dict.fromkeys((t.name for t in MODEL[entity]), None)
    record.update(spec.constants)
    issues: list[Issue] = []
    for rule in spec.rules:
        text = (row.get(rule.column) or "").strip()
        if not text:
            if rule.required:
                issues.append(Issue(rule.field, rule.column, "",
                                    f"is empty, and {rule.field} is required", "empty"))
            continue
        try:
            record[rule.field] = _convert(rule, text)
        except _BadValue as bad:
            issues.append(Issue(rule.field, rule.column, text, str(bad), bad.kind))
    return record, issues


def _convert(rule: ColumnRule, text: str) -> Any:
    """A non-empty, trimmed cell as the field's common-model value; or _BadValue."""
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
        case _:
            return _choice(text, rule)


def _read_datetime(text: str, fmt: str | None, what: str) -> datetime:
    try:
        return datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        example = "2025-01-31" if what == "date" else "2025-01-31T09:30:00"
        expected = f"in format {_quote(fmt)}" if fmt else f"in ISO 8601 ({example})"
        raise _BadValue(f"is not a {what} {expected}") from None


def _timestamp(text: str, fmt: str | None, zone: ZoneInfo) -> str:
    moment = _read_datetime(text, fmt, "date/time")
    if moment.tzinfo is None:
        moment = _localize(moment, zone)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in the zone; a repeated hour (DST ends) reads as its first occurrence,
    an hour the clocks skipped (DST starts) is an error."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise _BadValue(f"does not exist in {zone.key} (the clocks skipped that hour)")
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
        raise _BadValue(f'is not a number (decimal {mark} "{decimal}", thousands grouped by 3)')
    whole, _, fraction = text.partition(decimal)
    digits = re.sub(r"[^\d+-]", "", whole)
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _integer(text: str, decimal: str) -> int:
    number = _number(text, decimal)
    if number != number.to_integral_value():
        raise _BadValue("is not a whole number")
    return int(number)


def _currency(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", text):
        raise _BadValue("is not a 3-letter ISO 4217 currency code")
    return text.upper()


def _choice(text: str, rule: ColumnRule) -> str:
    common = rule.values.get(_norm(text), rule.default)
    if common is not None:
        return common
    if rule.explicit_values:
        raise _Unmapped(f"is not mapped: not in {rule.path}.values, and there is no default")
    raise _Unmapped(f"is not mapped: not a {KIND_NAMES[rule.kind]}, and {rule.path} has no "
                    "values")


# ---------------------------------------------------------------- validating an export


@dataclass
class ValueStat:
    value: str  # as first seen; values that differ only in case and whitespace count as one
    count: int
    first_line: int
    reason: str


@dataclass
class Finding:
    """Every issue of one kind on one field of a file."""

    field: str
    column: str
    kind: IssueKind
    count: int = 0
    values: dict[str, ValueStat] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)  # the first few

    def add(self, issue: Issue, line: int) -> None:
        self.count += 1
        if len(self.lines) < MAX_EXAMPLES:
            self.lines.append(line)
        key = _norm(issue.value)
        stat = self.values.get(key)
        if stat is not None:
            stat.count += 1
        elif len(self.values) < (MAX_UNMAPPED_VALUES if self.kind == "unmapped" else MAX_EXAMPLES):
            self.values[key] = ValueStat(issue.value, 1, line, issue.reason)

    def render(self) -> list[str]:
        head = f"  {self.field} (column {_quote(self.column)}): "
        if self.kind == "empty":
            return [head + f"empty in {_rows(self.count)} but required; "
                    + _lines(self.lines, self.count)]
        if self.kind == "unmapped":
            hint = next(iter(self.values.values())).reason.removeprefix("is not mapped: ")
            out = [head + f"{_rows(len(self.values), 'unmapped value')} in "
                   f"{_rows(self.count)}: {hint}"]
            out += [f"    {_quote(stat.value)}: {_rows(stat.count)}, first on line "
                    f"{stat.first_line}" for stat in self.values.values()]
        else:
            out = [head + f"{_rows(self.count, 'value')} cannot be read"]
            out += [f"    line {stat.first_line}: {_quote(stat.value)} {stat.reason}"
                    + (f" ({_rows(stat.count)})" if stat.count > 1 else "")
                    for stat in self.values.values()]
        shown = sum(stat.count for stat in self.values.values())
        more = self.count - shown
        return out + ([f"    … and {_rows(more)} with other values"] if more else [])


def _rows(count: int, noun: str = "row") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _lines(lines: list[int], count: int) -> str:
    more = ", …" if count > len(lines) else ""
    return ("line " if count == 1 else "lines ") + ", ".join(map(str, lines)) + more


@dataclass
class FileReport:
    entity: str
    path: Path
    rows: int = 0
    rows_with_issues: int = 0
    missing_columns: list[str] = field(default_factory=list)
    malformed: int = 0  # rows with more or fewer fields than the header
    malformed_lines: list[int] = field(default_factory=list)
    error: str | None = None
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    @property
    def rows_ok(self) -> int:
        return self.rows - self.rows_with_issues

    @property
    def ok(self) -> bool:
        return not (self.error or self.missing_columns or self.rows_with_issues)

    def add(self, line: int, issues: list[Issue]) -> None:
        if issues:
            self.rows_with_issues += 1
        for issue in issues:
            key = (issue.field, issue.kind)
            if key not in self.findings:
                self.findings[key] = Finding(issue.field, issue.column, issue.kind)
            self.findings[key].add(issue, line)

    def add_malformed(self, line: int) -> None:
        self.rows_with_issues += 1
        self.malformed += 1
        if len(self.malformed_lines) < MAX_EXAMPLES:
            self.malformed_lines.append(line)

    def render(self) -> list[str]:
        out = [f"{self.entity}: {self.path}"]
        if self.error:
            out.append(f"  CANNOT BE READ: {self.error}")
        if self.missing_columns:
            out.append("  missing columns (the loader refuses the file): "
                       + ", ".join(map(_quote, self.missing_columns)))
        summary = f"  {_rows(self.rows)}: {self.rows_ok} ok"
        out.append(summary + (f", {self.rows_with_issues} with issues"
                              if self.rows_with_issues else ""))
        if self.malformed:
            out.append(f"  {_rows(self.malformed)} with a different number of fields than the "
                       f"header; {_lines(self.malformed_lines, self.malformed)}")
        order = {target.name: i for i, target in enumerate(MODEL[self.entity])}
        for key in sorted(self.findings, key=lambda k: (order.get(k[0], 99), k[1])):
            out += self.findings[key].render()
        return out


@dataclass
class ValidationReport:
    mapping: CrmMapping
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.files)

    def render(self) -> str:
        out = [f"Mapping {self.mapping.path} (crm {self.mapping.crm}, "
               f"time zone {self.mapping.timezone.key})", ""]
        for report in self.files:
            out += [*report.render(), ""]
        if self.ok:
            out.append("OK: every row maps onto the common model.")
        else:
            bad = sum(report.rows_with_issues for report in self.files)
            out.append(f"NOT OK: {_rows(bad)} would be quarantined"
                       + (", and some files cannot load at all" if any(
                           r.error or r.missing_columns for r in self.files) else "")
                       + ". Fix the mapping or the export and run again.")
        return "\n".join(out)


@contextmanager
def _open_csv(path: Path) -> Iterator[TextIO]:
    """UTF-8 text, with or without a BOM, gzipped if the name ends in .gz."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield handle


def validate(mapping_path: str | Path, files: Mapping[str, Path]) -> ValidationReport:
    """Run each entity's CSV file through the mapping; MappingError if the mapping is broken."""
    mapping = load_mapping(mapping_path)
    for entity in files:
        _entity(mapping, entity)  # a file for an entity the mapping does not describe
    return ValidationReport(mapping, [_check_file(mapping, entity, Path(path))
                                      for entity, path in files.items()])


def _check_file(mapping: CrmMapping, entity: str, path: Path) -> FileReport:
    report = FileReport(entity=entity, path=path)
    line = 0
    try:
        with _open_csv(path) as handle:
            reader = csv.reader(handle, delimiter=mapping.delimiter)
            header = [name.strip() for name in next(reader, [])]
            report.missing_columns = [c for c in required_columns(mapping, entity)
                                      if c not in header]
            missing = set(report.missing_columns)
            for row in reader:
                line = reader.line_num  # the line the row ends on, as the loader records it
                if not any(cell.strip() for cell in row):
                    continue
                report.rows += 1
                if len(row) != len(header):
                    report.add_malformed(line)
                    continue
                _, issues = map_row(mapping, entity, dict(zip(header, row, strict=True)))
                report.add(line, [issue for issue in issues if issue.column not in missing])
    except UnicodeDecodeError as err:
        report.error = f"not UTF-8 after line {line} ({err.reason})"
    except (OSError, EOFError, zlib.error, csv.Error) as err:
        report.error = f"{err} (after line {line})" if line else str(err)
    return report


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m revwh.crm_mapping",
        description="Check a CRM export against its mapping before anything is loaded.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "validate", help="report every row that does not map (exit 0 ok, 1 issues, "
                         "2 broken mapping)")
    check.add_argument("--mapping", required=True, type=Path, help="the YAML mapping file")
    check.add_argument("--leads", required=True, type=Path, help="the leads CSV (.csv or .gz)")
    check.add_argument("--deals", type=Path, help="the deals CSV (.csv or .gz)")
    args = parser.parse_args(argv)
    files = {"leads": args.leads, **({"deals": args.deals} if args.deals else {})}
    try:
        report = validate(args.mapping, files)
    except MappingError as err:
        print(f"broken mapping: {err}", file=sys.stderr)
        return 2
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
