"""The same simulated truth exported through each CRM (HubSpot, Salesforce, a CSV export with
its mapping) gives the same marts: people and their stages, opportunities, pipeline and won
revenue per channel.

One company (no mess: a CSV export cannot say that a record was merged, and the simulator's CSV
writer does not mark deleted records, though an export can: is_deleted / deleted_at,
docs/byo-crm.md; tests/test_crm_deleted_deals.py checks a deleted deal in each CRM from
hand-written fixtures) is written by every writer into one landing folder; each CRM's build
loads the shared sources (GA4, ads, ECB) and its own CRM's files day by day with
revwh.ingest.load.load_file, then runs dbt build.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import psycopg
import pytest

from revwh.core.sources import ALL_SOURCES, CRMS
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts
from revwh.transform.dbt_runner import run_dbt

START = date(2026, 9, 1)
DAYS = 60  # long enough for deals to be won (3 with this seed and scale)

PEOPLE = """
    select person_id, inquiry_at, mql_at, sal_at, sql_at, opportunity_at, customer_at,
        current_stage, is_sales_created, first_touch_channel, identity_source
    from audit.dim_people order by person_id"""
STAGES = """
    select stage, count(*), count(exited_at) from audit.funnel_stage_history
    group by stage order by stage"""
OPPORTUNITIES = """
    select person_id, created_at, outcome, won_at, amount_reporting, closed_revenue_reporting,
        first_touch_channel
    from audit.opportunities order by person_id, created_at"""
PER_CHANNEL = """
    select channel, sourced_opportunities, sourced_pipeline, sourced_revenue,
        influenced_opportunities, influenced_pipeline
    from audit.pipeline_sourced_influenced where breakdown = 'channel' order by channel"""
SCORECARD = """
    select week_start, leads, mqls, sqls, opportunities, pipeline, won_revenue
    from audit.weekly_scorecard order by week_start"""


@pytest.fixture(scope="module")
def builds(database_factory, tmp_path_factory):
    landing = tmp_path_factory.mktemp("parity-landing")
    home = tmp_path_factory.mktemp("parity-home")  # its own dbt target and PII salt
    company = Company(SimConfig(start=START, days=DAYS, seed=13, scale=0.1, mess=False))
    write_extracts(company, landing, crm="all")
    days = [START + timedelta(days=n) for n in range(DAYS)]
    figures = {}
    for crm in CRMS:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CRM", crm)
            patch.setenv("REVWH_HOME", str(home))
            patch.setenv("CRM_MAPPING_FILE", str(landing / "csv_crm" / "mapping.yml"))
            url = database_factory(f"revwh_test_parity_{crm}")
            with psycopg.connect(url) as conn:
                for source in ALL_SOURCES:
                    if source.platform in CRMS and source.platform != crm:
                        continue
                    for day in days:
                        load_file(conn, source, day, locate(source, day, str(landing)).url)
            run_dbt(["build"], url=url)
        with psycopg.connect(url) as conn:
            figures[crm] = SimpleNamespace(**{
                name: conn.execute(query).fetchall() for name, query in (
                    ("people", PEOPLE), ("stages", STAGES), ("opportunities", OPPORTUNITIES),
                    ("per_channel", PER_CHANNEL), ("scorecard", SCORECARD))})
    return figures


@pytest.mark.parametrize("figure", ["people", "stages", "opportunities", "per_channel",
                                    "scorecard"])
@pytest.mark.parametrize("crm", ["salesforce", "csv_crm"])
def test_each_crm_gives_the_same_marts(builds, crm: str, figure: str) -> None:
    hubspot, other = getattr(builds["hubspot"], figure), getattr(builds[crm], figure)
    assert len(other) == len(hubspot) > 0
    differ = [(a, b) for a, b in zip(hubspot, other, strict=True) if a != b]
    assert differ == [], f"{crm} {figure}: {len(differ)} rows differ, e.g. {differ[:3]}"


def test_the_marts_compared_are_not_empty(builds) -> None:
    hubspot = builds["hubspot"]
    assert len(hubspot.people) > 20
    assert any(row[6] is not None for row in hubspot.people)  # customers
    assert any(row[2] == "won" and row[5] > 0 for row in hubspot.opportunities)
    assert any(row[1] is not None for row in hubspot.people)  # MQLs
    assert all(row[-1] == "email" for row in builds["csv_crm"].people)
