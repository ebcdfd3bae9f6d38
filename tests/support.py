"""Helpers the test modules share (pytest puts this folder on sys.path: `from support import`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from psycopg.rows import dict_row

FIXTURES = Path(__file__).parent / "fixtures"
# tests/fixtures/funnel_export: a public marketing-funnel export without emails or amounts, its
# data from 2017-10 to 2018-03, loaded in 2020 (tests/test_byo_crm_marts.py)
FUNNEL_EXPORT = ("funnel_export", "mql.csv", "closed_deals.csv", date(2020, 3, 1))


def query_rows(url: str, query: str) -> list[dict]:
    """Every row of a query against the database at url, as dicts keyed by column name."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query).fetchall()


def build_crm_export(database_factory: Callable[[str], str], home: Path, name: str,
                     folder: str, leads: str, deals: str, day: date) -> SimpleNamespace:
    """A bring-your-own CRM export (tests/fixtures/<folder>, CRM=csv_crm) loaded into a fresh
    database and built by `dbt build` (marts in `audit`, dbt's target under `home`): its url,
    the load results, the gate's people reconciliation query and people rules."""
    from revwh.core.sources import ALL_SOURCES
    from revwh.gate import contract_suites, reconciliation_suites
    from revwh.ingest.load import load_file
    from revwh.transform.dbt_runner import run_dbt

    sources = {source.key: source for source in ALL_SOURCES}
    mapping = FIXTURES / folder / "mapping.yml"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVWH_HOME", str(home))  # its own dbt target
        patch.setenv("CRM", "csv_crm")
        patch.setenv("CRM_MAPPING_FILE", str(mapping))
        url = database_factory(name)
        with psycopg.connect(url) as conn:
            loaded = {
                "leads": load_file(conn, sources["csv_crm__leads"], day,
                                   str(FIXTURES / folder / leads)),
                "deals": load_file(conn, sources["csv_crm__deals"], day,
                                   str(FIXTURES / folder / deals)),
            }
        run_dbt(["build"], url=url)
        people_check = reconciliation_suites._people_query("csv_crm", "audit")
        rules = {rule["meta"]["check"]: rule["kwargs"]["unexpected_rows_query"]
                 for rule in contract_suites._people_rules()}
    return SimpleNamespace(url=url, loaded=loaded, people_check=people_check, rules=rules)
