"""Bring your own CRM, the mapping: what a YAML mapping file (docs/byo-crm.md) says, checked.

The file says which CSV column holds each field of the common lead and deal model, how its
dates and numbers are written, and how the CRM's status, stage and source values map onto the
common values. ``load_mapping`` reads and checks it (a broken file raises MappingError naming
the key); revwh.ingest.crm_convert maps rows with it and revwh.ingest.crm_report validates a
whole export against it. Importing this module has no side effects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.constructor import ConstructorError

from revwh.core.errors import WarehouseError
from revwh.ingest.crm_convert import (
    KIND_NAMES,
    BadValue,
    ColumnRule,
    Issue,
    Kind,
    convert,
    norm,
    quote,
)

LEAD_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer",
               "disqualified", "other")
DEAL_STAGES = ("open", "closed_won", "closed_lost")
# The channel taxonomy is the lead definition contract's (contracts/lead_definition.yml), read
# each time a mapping is loaded, so a channel added there is mappable at once.

SUPPORTED_VERSION = 1
CRM_NAME = re.compile(r"[a-z0-9_]+")
TOP_KEYS = ("version", "crm", "timezone", "delimiter", "entities")
ENTITY_KEYS = ("columns", "constants")
CHOICE_KINDS = ("lead_stage", "deal_stage", "channel")
OPTIONS: dict[str, tuple[str, ...]] = {
    "text": ("column",),
    "currency": ("column",),
    "boolean": ("column",),
    "timestamp": ("column", "format", "timezone"),
    "date": ("column", "format"),
    "decimal": ("column", "decimal"),
    "integer": ("column", "decimal"),
    **{kind: ("column", "values", "default") for kind in CHOICE_KINDS},
}
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
        # when the lead entered a stage, where the export has it (a "became an MQL" date)
        ("mql_at", "timestamp"), ("sal_at", "timestamp"), ("sql_at", "timestamp"),
        ("disqualified_at", "timestamp"),
        # the web visitor id (GA4 client id) a form carried into the record: web stitching
        ("ga_client_id", "text"),
        # deleted in the CRM (a yes/no flag, or the moment of deletion; either marks it)
        ("is_deleted", "boolean"), ("deleted_at", "timestamp"),
    ),
    # Only the stage is required: an export of closed deals may have no id (the lead's id
    # stands in), no amount (pipeline and revenue are then unknown, never zero) and no creation
    # date (the close stands in). A deal must name its lead, or a lead must name its deal.
    "deals": _fields(
        ("deal_id", "text"), ("lead_id", "text"), ("account_name", "text"),
        ("name", "text"), ("owner", "text"), ("amount", "decimal"),
        ("currency", "currency"), ("stage", "deal_stage", True),
        ("pipeline_stage", "text"), ("created_at", "timestamp"), ("close_date", "date"),
        ("closed_at", "timestamp"), ("lost_reason", "text"),
        ("is_deleted", "boolean"), ("deleted_at", "timestamp"),
    ),
}


class MappingError(WarehouseError):
    """The mapping file is broken; the message names the file and the key path."""


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
    from revwh.core import contract

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
    given = columns | constants
    if name == "deals" and "deal_id" not in given and "lead_id" not in given:
        raise _Mistake(f"{path}.columns", "map deal_id or lead_id: a deal without either "
                       "cannot be joined to its lead")
    if name == "deals" and "amount" in given and "currency" not in given:
        raise _Mistake(f"{path}.columns", "amount is mapped but currency is not (map it to a "
                       f"column, or give it in {path}.constants, e.g. currency: EUR)")
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
    values = {norm(v): v for v in allowed}
    if "values" in options:
        values = _value_map(options["values"], f"{path}.values", target.kind, allowed)
    default = None
    if options.get("default") is not None:
        default = _common_value(options["default"], f"{path}.default", target.kind, allowed)
    return ColumnRule(field=target.name, kind=target.kind, required=target.required,
                      column=column, path=path, format=fmt, zone=zone, decimal=decimal,
                      values=values, explicit_values="values" in options, default=default,
                      allowed=allowed)


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
        key_path = f"{path}[{quote(str(key))}]"
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise _Mistake(key_path, f"YAML read this key as {type(key).__name__} {key!r}; "
                           "put the CRM value in quotes")
        normalized = norm(str(key))
        if not normalized:
            raise _Mistake(key_path, "an empty cell is null and cannot be mapped")
        if normalized in mapped:
            raise _Mistake(key_path, f"repeats {quote(first[normalized])} (values match ignoring "
                           "case and surrounding whitespace)")
        mapped[normalized] = _common_value(target, key_path, kind, allowed)
        first[normalized] = str(key)
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
        return convert(rule, str(obj).strip())
    except BadValue as bad:
        raise _Mistake(path, f"{quote(str(obj))} {bad}") from None


# ---------------------------------------------------------------- mapping rows


def entity_mapping(mapping: CrmMapping, entity: str) -> EntityMapping:
    try:
        return mapping.entities[entity]
    except KeyError:
        raise MappingError(f"{mapping.path}: entities.{entity}: not in the mapping") from None


def required_columns(mapping: CrmMapping, entity: str) -> list[str]:
    """The CSV columns the mapping reads for the entity, in mapping order, each once."""
    return list(dict.fromkeys(rule.column for rule in entity_mapping(mapping, entity).rules))


def map_row(mapping: CrmMapping, entity: str, row: Mapping[str, str | None]
            ) -> tuple[dict[str, Any], list[Issue]]:
    """One CSV row (header -> cell) as a common-model record, and what could not be mapped.

    The record has every field of the entity (None where the cell is empty or has an issue)
    and is JSON-serializable. Any issue means the row must not be loaded as it is.
    """
    spec = entity_mapping(mapping, entity)
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
            record[rule.field] = convert(rule, text)
        except BadValue as bad:
            issues.append(Issue(rule.field, rule.column, text, str(bad), bad.kind))
    return record, issues
