"""Any subset of the sources builds, audits and publishes (issue 18, item 6): a company without
LinkedIn ads, without any ad platform, without GA4, or with only its CRM. Each subset runs the
DAG's steps (revwh.ops.pipeline: extract, load, dbt build; the gate's runner; the publish) on a
warehouse of its own, and the published marts hold the figures of the sources it has, and none
of those it has not. GA4 alone, from hand-written export rows of three vintages, is
tests/test_ga4_exports.py.

The extracts are a small clean simulated company (3 days); the figures asserted are its truth
(`_truth/spend.csv`, `_truth/sessions_daily.csv`), which the simulator writes beside them.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from support import query_rows

START = date(2026, 9, 1)
DAYS = 3
ADS = ("google_ads", "meta_ads", "linkedin_ads")
SUBSETS = {
    "no_linkedin": "google_ads,meta_ads,ga4,ecb",
    "no_ad_platform": "ga4",
    "no_ga4": "google_ads,meta_ads,linkedin_ads,ecb",
    "crm_only": "none",
}


@pytest.fixture(scope="module")
def company_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    landing = tmp_path_factory.mktemp("subsets-landing")
    write_extracts(Company(SimConfig(start=START, days=DAYS, seed=7, scale=0.2, mess=False)),
                   landing, crm="hubspot")
    return landing


def _truth(landing: Path, name: str) -> list[dict]:
    with open(landing / "_truth" / name, newline="") as handle:
        return list(csv.DictReader(handle))


def _run(pg_server: str, landing: Path, subset: str, platforms: str) -> dict:
    """The DAG's steps for every day, one interval per day, with PLATFORMS=platforms."""
    from revwh.core.sources import enabled_sources
    from revwh.gate import runner
    from revwh.ops import pipeline
    from revwh.publish import marts

    name = f"revwh_test_subset_{subset}_{os.getpid()}"
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    saved = {key: os.environ.get(key) for key in ("WAREHOUSE_URL", "PLATFORMS", "CRM")}
    os.environ.update({"WAREHOUSE_URL": url, "PLATFORMS": platforms, "CRM": "hubspot"})
    try:
        platforms_run = sorted({s.platform for s in enabled_sources().values()})
        loads: list[list[dict]] = []
        for offset in range(DAYS):
            start = datetime.combine(START + timedelta(days=offset), datetime.min.time(), UTC)
            end = start + timedelta(days=1)
            for platform in platforms_run:
                files = pipeline.extract_platform(platform, start, end, str(landing))
                loads.append(pipeline.load_platform(platform, files, run_id=f"{subset}"))
        pipeline.build_marts()
        # one audit and publish for the whole interval, as a backfill's run has
        start = datetime.combine(START, datetime.min.time(), UTC)
        end = start + timedelta(days=DAYS)
        reports = [runner.run_audit(start, end, subset, url)]
        published = marts.publish(subset, start, end, url)
        summary = pipeline.summarize(start, end, loads, {"checks": len(reports[-1].checks),
                                                         "passed": reports[-1].passed},
                                     published)
        figures = {
            "spend": {(r["platform"]): r["spend"] for r in query_rows(url, """
                select platform, sum(spend_original) as spend from marts.ad_performance_daily
                group by 1""")},
            # days and channels whose spend differs between the web mart and the ad mart
            "web_spend_mismatches": query_rows(url, """
                select coalesce(w.date_day, a.date_day) as day, w.spend, a.spend as ad_spend
                from (select date_day, channel, spend from marts.web_conversions_daily
                      where spend <> 0) as w
                full join (select spend_date as date_day, channel, round(sum(spend), 2) as spend
                           from marts.ad_performance_daily group by 1, 2) as a
                    using (date_day, channel)
                where w.spend is distinct from a.spend"""),
            "sessions_by_channel": {(str(r["date_day"]), r["channel"]): r["sessions"]
                                    for r in query_rows(url, """
                select date_day, channel, sessions from marts.daily_channel_performance
                where sessions > 0""")},
            "sessions": query_rows(url, """
                select coalesce(sum(sessions), 0) as n from marts.daily_channel_performance""")[
                0]["n"],
            "web": query_rows(url, """
                select coalesce(sum(spend), 0) as spend, coalesce(sum(sessions), 0) as sessions,
                       coalesce(sum(conversions), 0) as conversions
                from marts.web_conversions_daily""")[0],
            "people": query_rows(url, "select count(*) as n from marts.dim_people")[0]["n"],
            "channels": {r["first_touch_channel"] for r in query_rows(
                url, "select distinct first_touch_channel from marts.dim_people")},
            "skipped": query_rows(url, """
                select suite, description from ops.audit_results
                where expectation = 'skipped' and description like 'not run: %'"""),
        }
        return {"url": url, "reports": reports, "published": published, "summary": summary,
                "figures": figures, "platforms": platforms_run}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))


@pytest.fixture(scope="module")
def runs(pg_server: str, company_landing: Path) -> dict[str, dict]:
    return {subset: _run(pg_server, company_landing, subset, platforms)
            for subset, platforms in SUBSETS.items()}


def _truth_spend(landing: Path) -> dict[str, tuple[Decimal, int]]:
    """Each platform's spend in its accounts' currencies, and its rows (ad x day)."""
    spend: dict[str, Decimal] = defaultdict(Decimal)
    rows: dict[str, int] = defaultdict(int)
    for row in _truth(landing, "spend.csv"):
        spend[row["platform"]] += Decimal(row["spend"])
        rows[row["platform"]] += 1
    return {platform: (spend[platform], rows[platform]) for platform in spend}


def _truth_sessions(landing: Path) -> int:
    return sum(int(row["sessions"]) for row in _truth(landing, "sessions_daily.csv"))


@pytest.mark.parametrize("subset", list(SUBSETS))
def test_every_subset_audits_and_publishes_the_figures_of_its_sources(runs, subset: str,
                                                                      company_landing: Path):
    run = runs[subset]
    figures = run["figures"]
    for report in run["reports"]:
        assert not report.failed, [c.describe() for c in report.failed]
    ads = [p for p in ADS if p in run["platforms"]]
    truth = _truth_spend(company_landing)
    # ad spend: exactly the platforms of the run, each to the cent of the truth
    assert set(figures["spend"]) == set(ads)
    for platform in ads:  # each ad x day rounded to the cent as the platform reports it
        spend, rows = truth[platform]
        assert abs(figures["spend"][platform] - spend) <= Decimal("0.005") * rows, platform
        assert figures["spend"][platform] > 0
    # the web mart's spend is ad_performance_daily's (0 without an ad platform)
    assert figures["web_spend_mismatches"] == []
    assert (figures["web"]["spend"] > 0) == bool(ads)
    # sessions: the truth's with GA4, none without
    sessions = _truth_sessions(company_landing) if "ga4" in run["platforms"] else 0
    if "ga4" in run["platforms"]:  # in each day's channels, as the simulated visits came
        assert figures["sessions_by_channel"] == {
            (row["date"], row["channel"]): int(row["sessions"])
            for row in _truth(company_landing, "sessions_daily.csv") if int(row["sessions"])}
    assert figures["sessions"] == sessions
    assert figures["web"]["sessions"] == sessions
    assert (figures["web"]["conversions"] > 0) == ("ga4" in run["platforms"])
    # the CRM's people, whatever else is in the run
    assert figures["people"] > 0
    assert figures["people"] == runs["no_linkedin"]["figures"]["people"]
    assert run["published"]["dim_people"] == figures["people"]
    if not ads:
        assert run["published"]["ad_performance_daily"] == 0
        assert "no ad platform" in run["summary"]
        assert {r["suite"] for r in figures["skipped"]} >= {
            "reconcile__ad_performance_daily", "freshness__ad_performance_daily"}
    if "ga4" not in run["platforms"]:
        assert "ga4 is not among the run's sources" in run["summary"]
    if subset == "no_linkedin":
        assert "linkedin_ads is not among the run's sources" in run["summary"]
    if subset == "crm_only":
        assert run["published"]["daily_channel_performance"] >= 0
        assert {r["suite"] for r in figures["skipped"]} >= {
            "freshness__daily_channel_performance"}


def test_an_empty_mart_never_crashes_the_gate(pg_server: str, monkeypatch):
    """A per-day suite on an empty mart: skipped with its reason when its rows are optional,
    a recorded failure naming the mart when they are required; never GX's
    SqlAddBatchDefinitionError ("... is not a date or datetime type")."""
    from revwh.core.errors import AuditFailed
    from revwh.gate import runner
    from revwh.gate.spec import SuiteSpec

    name = f"revwh_test_empty_mart_{os.getpid()}"
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("create schema audit")
            conn.execute("create table audit.empty_daily (spend_date date, spend numeric)")
        row_count = {"type": "expect_table_row_count_to_be_between",
                     "kwargs": {"min_value": 0, "max_value": 10}}

        def suites(required: bool):
            return lambda days, schema, url, **_: [SuiteSpec(
                name="empty_daily", table="empty_daily", scope="day", expectations=[row_count],
                origin="test", interval_column="spend_date", rows_required=required)]

        start = datetime(2026, 9, 1, tzinfo=UTC)
        monkeypatch.setattr(runner, "all_suites", suites(False))
        report = runner.run_audit(start, start + timedelta(days=2), "empty_optional", url)
        assert [(c.day, c.expectation, c.success) for c in report.checks] == [
            (date(2026, 9, 1), "skipped", True), (date(2026, 9, 2), "skipped", True)]
        assert report.checks[0].note == (
            "audit.empty_daily has no rows with a spend_date: its suite did not run")
        monkeypatch.setattr(runner, "all_suites", suites(True))
        with pytest.raises(AuditFailed, match="audit.empty_daily has no rows with a spend_date"):
            runner.run_audit(start, start + timedelta(days=1), "empty_required", url)
        recorded = query_rows(url, """
            select run_id, expectation, success from ops.audit_results
            order by run_id, batch_day""")
        assert [(r["run_id"], r["expectation"], r["success"]) for r in recorded] == [
            ("empty_optional", "skipped", True), ("empty_optional", "skipped", True),
            ("empty_required", "rows_for_interval", False)]
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))
