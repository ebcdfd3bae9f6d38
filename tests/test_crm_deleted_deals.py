"""A deal deleted in the CRM (its latest version) is no opportunity, in each of the three CRMs:
no pipeline or revenue in any mart, counted under "deleted deal" in people_exclusions.

Fixtures written by hand from each CRM's documented record shape (not from the simulator):

- HubSpot (tests/fixtures/crm_deleted_deals/landing/hubspot): CRM v3 objects. On 2024-03-26
  contacts 101 ana, 102 bo, 103 eve and deals 9001 (ana, open, 1000.00), 9002 (eve, won,
  500.00), 9003 (ana, open, 9999.00, created before 9001) and 9004 (bo, won, 700.00); on
  2024-03-28 the pull reads 9003 and 9004 again with `archived=true` (`archived: true`,
  `archivedAt`).
- Salesforce (tests/fixtures/crm_deleted_deals/landing/salesforce): Bulk API 2.0 queryAll CSV.
  On 2024-03-26 leads ana, bo and eve converted into opportunities ...1a1a (open, 1000.00),
  ...1a1b (Closed Won, 700.00) and ...1a1c (Closed Won, 500.00); on 2024-03-28 queryAll returns
  ...1a1b with IsDeleted true (SystemModstamp the deletion moment).
- CSV export (tests/fixtures/crm_deletions): deals_before.csv on 2024-03-30 (D-3 not deleted),
  deals.csv on 2024-03-31 (D-3 deleted).

Each CRM's warehouse is built with `dbt build` after the first day (before) and again after the
second (after); the tests assert the figures of both builds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from revwh.core.sources import ALL_SOURCES
from revwh.gate import reconciliation_suites
from revwh.ingest.load import load_file
from revwh.transform.dbt_runner import run_dbt

FIXTURES = Path(__file__).parent / "fixtures"
LANDING = FIXTURES / "crm_deleted_deals" / "landing"
SOURCES = {source.key: source for source in ALL_SOURCES}
BYO = FIXTURES / "crm_deletions"

# per CRM: the files of the first day (before) and of the second (after): (source, day, path)
DAY_1, DAY_2 = date(2024, 3, 26), date(2024, 3, 28)
FILES = {
    "hubspot": (
        [("hubspot__contacts", DAY_1, "hubspot/contacts/dt=2024-03-26/contacts.jsonl"),
         ("hubspot__deals", DAY_1, "hubspot/deals/dt=2024-03-26/deals.jsonl")],
        [("hubspot__deals", DAY_2, "hubspot/deals/dt=2024-03-28/deals.jsonl")]),
    "salesforce": (
        [("salesforce__lead", DAY_1, "salesforce/lead/dt=2024-03-26/Lead.csv"),
         ("salesforce__opportunity", DAY_1,
          "salesforce/opportunity/dt=2024-03-26/Opportunity.csv"),
         ("salesforce__opportunity_history", DAY_1,
          "salesforce/opportunity_history/dt=2024-03-26/OpportunityHistory.csv")],
        [("salesforce__opportunity", DAY_2,
          "salesforce/opportunity/dt=2024-03-28/Opportunity.csv")]),
    "csv_crm": (
        [("csv_crm__leads", date(2024, 3, 30), str(BYO / "leads.csv")),
         ("csv_crm__deals", date(2024, 3, 30), str(BYO / "deals_before.csv"))],
        [("csv_crm__deals", date(2024, 3, 31), str(BYO / "deals.csv"))]),
}

FIGURES = {
    # ids, count, pipeline, won revenue
    "opportunities": """
        select string_agg(opportunity_id, ',' order by opportunity_id), count(*),
            sum(amount_reporting), sum(closed_revenue_reporting)
        from audit.opportunities""",
    "sourced": """
        select sum(sourced_opportunities), sum(sourced_pipeline), sum(sourced_revenue),
            sum(influenced_opportunities), sum(influenced_pipeline)
        from audit.pipeline_sourced_influenced where breakdown = 'channel'""",
    "attributed": """
        select sum(attributed_opportunities), sum(attributed_pipeline),
            sum(attributed_revenue)
        from audit.attribution_by_channel where attribution_model = 'first_touch'""",
    "attributed_touches": """
        select count(distinct opportunity_id), sum(attributed_pipeline)
        from audit.attribution_opportunities where attribution_model = 'first_touch'""",
    "scorecard": """
        select sum(opportunities), sum(pipeline), sum(won_revenue), sum(deals_won)
        from audit.weekly_scorecard""",
    "efficiency": """
        select sum(opportunities), sum(customers), sum(sourced_pipeline), sum(sourced_revenue)
        from audit.channel_efficiency where breakdown = 'channel'""",
    "funnel": """
        select sum(opportunity_people), sum(customer_people) from audit.funnel_conversion_weekly""",
    "stages": """
        select string_agg(crm_record_id || ' ' || current_stage, ', ' order by crm_record_id)
        from audit.dim_people""",
    "deleted_deals": """
        select records, people from audit.people_exclusions
        where exclusion_reason = 'deleted deal'""",
}


def _figures(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        rows = {name: conn.execute(query).fetchone() for name, query in FIGURES.items()}
    return {name: row[0] if len(row) == 1 else row for name, row in rows.items()}


# rows quarantined per file: only crm_deletions' L-6 (a yes/no cell that is neither)
QUARANTINED = {str(BYO / "leads.csv"): 1}


def _load(url: str, files: list[tuple[str, date, str]]) -> None:
    with psycopg.connect(url) as conn:
        for key, day, path in files:
            result = load_file(conn, SOURCES[key], day, str(LANDING / path))
            assert result.rows_quarantined == QUARANTINED.get(path, 0), (key, path)
            assert result.rows_loaded > 0, (key, path)


@pytest.fixture(scope="module", params=["hubspot", "salesforce", "csv_crm"])
def built(request, database_factory, tmp_path_factory):
    crm = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVWH_HOME", str(tmp_path_factory.mktemp("deleted-deals-home")))
        patch.setenv("CRM", crm)
        patch.setenv("CRM_MAPPING_FILE", str(BYO / "mapping.yml"))
        url = database_factory(f"revwh_test_deleted_deals_{crm}")
        first, second = FILES[crm]
        _load(url, first)
        run_dbt(["build"], url=url)
        before = _figures(url)
        _load(url, second)
        run_dbt(["build"], url=url)
        after = _figures(url)
        people_check = reconciliation_suites._people_query(crm, "audit")
    with psycopg.connect(url) as conn:
        problems = conn.execute(people_check.replace("{batch}", "audit.dim_people")).fetchall()
    return SimpleNamespace(crm=crm, before=before, after=after, problems=problems)


def D(value: str) -> Decimal:  # noqa: N802
    return Decimal(value)


EXPECTED = {
    "hubspot": {
        # before: ana's first deal is 9003 (created 9 March), bo won 9004, eve won 9002
        "before": {
            "opportunities": ("9002,9003,9004", 3, D("11199.00"), D("1200.00")),
            "stages": "101 opportunity, 102 customer, 103 customer",
            "deleted_deals": (0, 0)},
        # after: 9003 and 9004 archived: ana's deal is 9001, bo has none (his lifecycle stage
        # customer still says SQL), eve unchanged
        "after": {
            "opportunities": ("9001,9002", 2, D("1500.00"), D("500.00")),
            "stages": "101 opportunity, 102 sql, 103 customer",
            "deleted_deals": (2, 0)},
    },
    "salesforce": {
        "before": {
            "opportunities": ("0065g00000Z1a1aAAA,0065g00000Z1a1bAAA,0065g00000Z1a1cAAA", 3,
                              D("2200.00"), D("1200.00")),
            "stages": ("00Q5g00000A1b2cAAA opportunity, 00Q5g00000A1b2dAAA customer, "
                       "00Q5g00000A1b2eAAA customer"),
            "deleted_deals": (0, 0)},
        # after: bo's won opportunity is deleted (IsDeleted true): bo stays, converted (SQL)
        "after": {
            "opportunities": ("0065g00000Z1a1aAAA,0065g00000Z1a1cAAA", 2, D("1500.00"),
                              D("500.00")),
            "stages": ("00Q5g00000A1b2cAAA opportunity, 00Q5g00000A1b2dAAA sql, "
                       "00Q5g00000A1b2eAAA customer"),
            "deleted_deals": (1, 0)},
    },
    "csv_crm": {
        # before: L-1's first deal is D-3 (created 9 March); D-4's lead is deleted
        "before": {
            "opportunities": ("D-2,D-3", 2, D("10499.00"), D("500.00")),
            "stages": "L-1 opportunity, L-7 customer",
            "deleted_deals": (0, 0)},
        # after: D-3 deleted: L-1's deal is D-1
        "after": {
            "opportunities": ("D-1,D-2", 2, D("1500.00"), D("500.00")),
            "stages": "L-1 opportunity, L-7 customer",
            "deleted_deals": (1, 0)},
    },
}


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_deleted_deal_leaves_every_mart(built, moment: str) -> None:
    figures = getattr(built, moment)
    expected = EXPECTED[built.crm][moment]
    for name in ("opportunities", "stages", "deleted_deals"):
        assert figures[name] == expected[name], (built.crm, moment, name)
    _, count, pipeline, won = expected["opportunities"]
    customers = sum(stage.endswith("customer") for stage in expected["stages"].split(", "))
    # every mart that counts opportunities, pipeline or revenue gives the same figures
    assert figures["sourced"] == (count, pipeline, won, count, pipeline), moment
    assert figures["attributed"] == (count, pipeline, won), moment
    assert figures["attributed_touches"] == (count, pipeline), moment
    assert figures["scorecard"] == (count, pipeline, won, customers), moment
    assert figures["efficiency"] == (count, customers, pipeline, won), moment
    assert figures["funnel"] == (count, customers), moment


def test_the_people_still_reconcile_with_the_raw_crm(built) -> None:
    assert built.problems == []
