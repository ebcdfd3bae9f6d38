"""What a suite of the gate is: one mart of the audit schema, its expectations in Great
Expectations 1.x's own JSON shape, and how it is batched (the whole table, or each day of the
run's interval); with the helpers that write its SQL safely for GX.

The suites themselves come from revwh.gate.contract_suites (the lead definition contract),
revwh.gate.reconciliation_suites (against raw) and expectations/suites/*.json, collected by
revwh.gate.suites.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from revwh.core.config import AUDIT_SCHEMA

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
    # not run, with this reason recorded (a mart whose source is not among the run's sources)
    skip_reason: str | None = None
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
        if self.skip_reason:
            meta["skipped"] = self.skip_reason
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
