"""The gate's expectation suites: what each one validates, and where it comes from.

Three kinds, all in Great Expectations 1.x's own JSON shape (``type`` + ``kwargs``):

- generated from the lead definition contract (revwh.gate.contract_suites): one row per person,
  required identifiers, stages and their order, the MQL and SQL rules, exclusions, owners,
  channels, amounts and currency. Written once, in contracts/lead_definition.yml;
- reconciliation (revwh.gate.reconciliation_suites): spend against the raw platform data, people
  against the raw CRM, freshness and volume of the run's days;
- hand-written, ``expectations/suites/*.json``: only what the contract does not say (a mart's
  grain, counts that cannot be negative, values from dbt seeds).

``revwh suites`` prints or writes them all, as the gate would run them.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from revwh.core import contract
from revwh.core.config import AUDIT_SCHEMA, DBT_PROJECT_DIR, EXPECTATIONS_DIR
from revwh.gate import contract_suites, reconciliation_suites
from revwh.gate.spec import SuiteSpec, batch_query

SUITES_DIR = EXPECTATIONS_DIR / "suites"


def _seed_values(seed: str, column: str) -> list[str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{seed}.csv"
    with open(path, newline="") as handle:
        return sorted({row[column] for row in csv.DictReader(handle)})


def _contract_values(name: str) -> list[str]:
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
               url: str | None = None, range_batches: bool = False) -> list[SuiteSpec]:
    """Every suite the gate runs for these days: contract, reconciliation, hand-written (with
    range_batches, the reconciliation's day suites check the whole range in one batch)."""
    specs = [*contract_suites.suites(),
             *reconciliation_suites.suites(days, schema, url, range_batches=range_batches),
             *load_hand_written()]
    names = [spec.name for spec in specs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"suite names must be unique: {', '.join(duplicated)}")
    return specs
