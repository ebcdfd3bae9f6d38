"""The gate's expectation suites: what each one validates, and where it comes from.

Three kinds, all in Great Expectations 1.x's own JSON shape (``type`` + ``kwargs``):

- generated from the lead definition contract (revwh.contract_suites): one row per person,
  required identifiers, stages and their order, the MQL and SQL rules, exclusions, owners,
  channels, amounts and currency. Written once, in contracts/lead_definition.yml;
- reconciliation (revwh.reconciliation_suites): spend against the raw platform data, people
  against the raw CRM, freshness and volume of the run's days;
- hand-written, ``expectations/suites/*.json``: only what the contract does not say (a mart's
  grain, counts that cannot be negative, values from dbt seeds).

``python -m revwh.cli suites`` prints or writes them all, as the gate would run them.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from revwh.config import AUDIT_SCHEMA, DBT_PROJECT_DIR, EXPECTATIONS_DIR

SUITES_DIR = EXPECTATIONS_DIR / "suites"

Scope = Literal["table", "day"]


@dataclass
class SuiteSpec:
    """One suite bound to one mart of the audit schema.

    scope ``table``: validated once, on the whole mart (one whole-table batch): the marts are
    rebuilt whole every night and published whole, so a rule about every row, or about the
    table (uniqueness), holds for all of it. scope ``day``: validated once per day of the run's
    interval, each day a batch chosen by batch parameters on ``interval_column``.
    """

    name: str
    table: str
    scope: Scope
    expectations: list[dict[str, Any]]
    origin: str
    interval_column: str | None = None
    rows_required: bool = False
    description: str = ""
    # day scope: suite parameters per day ($PARAMETER values), or None to skip that day with
    # the returned note (for example, a volume band with too little history to learn from)
    parameters: Callable[[date], tuple[dict[str, Any] | None, str | None]] | None = field(
        default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The suite as Great Expectations reads it, with the gate's binding in ``meta``."""
        meta: dict[str, Any] = {"table": self.table, "schema": AUDIT_SCHEMA,
                                "scope": self.scope, "origin": self.origin}
        if self.interval_column:
            meta["interval_column"] = self.interval_column
            meta["rows_required"] = self.rows_required
        if self.description:
            meta["description"] = self.description
        return {"name": self.name, "meta": meta, "expectations": self.expectations}


def ident(*names: str) -> str:
    """A quoted SQL identifier (schema.table or column)."""
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


def batch_query(query: str) -> str:
    """An unexpected-rows query, checked for how GX fills in ``{batch}``.

    GX substitutes the batch as a subquery, and aliases it itself (``AS subselect``) unless the
    query has a join, where the query must alias it (``{batch} as b``). A query that gets this
    wrong fails only when it runs; this fails when the suite is made.
    """
    query = query.strip()
    if "{batch}" not in query:
        raise ValueError(f"an unexpected-rows query must read {{batch}}: {query[:200]}")
    aliased = re.search(r"\{batch\}\s+as\s", query, re.IGNORECASE) is not None
    joins = re.search(r"\bjoin\b", query, re.IGNORECASE) is not None
    if aliased != joins:
        raise ValueError(
            "{batch} must be aliased (`{batch} as b`) exactly when the query has a join, as GX "
            f"aliases it otherwise: {query[:200]}")
    return query


def literal(value: object) -> str:
    """A SQL literal to embed in a Great Expectations query.

    GX fills the query with str.format (``{batch}``) and runs it as a SQLAlchemy text clause
    (``:name`` is a bind parameter), so braces are doubled and colons escaped as well.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = "'" + str(value).replace("'", "''") + "'"
    return text.replace("{", "{{").replace("}", "}}").replace(":", "\\:")


def literal_list(values: list[str] | tuple[str, ...]) -> str:
    """(a, b, c) for ``in``; (null) when empty, which matches nothing."""
    return "(" + ", ".join(literal(v) for v in values) + ")" if values else "(null)"


def _seed_values(seed: str, column: str) -> list[str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{seed}.csv"
    with open(path, newline="") as handle:
        return sorted({row[column] for row in csv.DictReader(handle)})


def _contract_values(name: str) -> list[str]:
    from revwh import contract

    if name == "channels":
        return sorted(contract.channels())
    raise ValueError(f"unknown contract value set {name!r}")


def _resolve(kwargs: dict, where: str) -> dict:
    resolved = dict(kwargs)
    value_set = resolved.get("value_set")
    if isinstance(value_set, dict) and "$seed" in value_set:
        resolved["value_set"] = _seed_values(value_set["$seed"], value_set["column"])
    elif isinstance(value_set, dict) and "$contract" in value_set:
        resolved["value_set"] = _contract_values(value_set["$contract"])
    elif isinstance(value_set, dict):
        raise ValueError(f"{where}: value_set must be a list, $seed or $contract")
    return resolved


def load_hand_written(folder: Path = SUITES_DIR) -> list[SuiteSpec]:
    """expectations/suites/*.json: meta.table, and meta.interval_column for a per-day suite."""
    specs = []
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not JSON: {err}") from err
        meta = document.get("meta", {})
        if "table" not in meta:
            raise ValueError(f"{path}: meta.table is missing")
        expectations = []
        for number, expectation in enumerate(document.get("expectations", []), start=1):
            if "type" not in expectation or "kwargs" not in expectation:
                raise ValueError(f"{path}: expectation {number} needs type and kwargs")
            kwargs = _resolve(expectation["kwargs"], f"{path}: expectation {number}")
            if expectation["type"] == "unexpected_rows_expectation":
                kwargs["unexpected_rows_query"] = batch_query(kwargs["unexpected_rows_query"])
            expectations.append({**expectation, "kwargs": kwargs})
        column = meta.get("interval_column")
        specs.append(SuiteSpec(
            name=document.get("name") or path.stem, table=meta["table"],
            scope="day" if column else "table", expectations=expectations,
            origin=f"expectations/suites/{path.name}", interval_column=column,
            rows_required=bool(meta.get("rows_required", False)),
            description=meta.get("description", "")))
    return specs


def all_suites(days: list[date], schema: str = AUDIT_SCHEMA,
               url: str | None = None) -> list[SuiteSpec]:
    """Every suite the gate runs for these days: contract, reconciliation, hand-written."""
    from revwh import contract_suites, reconciliation_suites

    specs = [*contract_suites.suites(), *reconciliation_suites.suites(days, schema, url),
             *load_hand_written()]
    names = [spec.name for spec in specs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"suite names must be unique: {', '.join(duplicated)}")
    return specs
