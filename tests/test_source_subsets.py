"""Any subset of the sources builds, audits and publishes (issue 18): every source; no LinkedIn
ads; no ad platform at all; no GA4; only the CRM. Each subset runs the DAG's steps
(revwh.ops.pipeline: extract, load, dbt build; the gate's runner; the publish) on a warehouse of
its own, and the published marts hold the figures of the sources it has, and none of those it
has not, with a note in the run summary for each mart a missing source leaves empty.

The landing zone is written by hand from the platforms' documented schemas, never by the
simulator (tests/fixtures/ad_platforms/README.md):

- tests/fixtures/ad_platforms/landing: Google Ads (GAQL rows, USD), Meta (Insights, an EUR
  account), LinkedIn (adAnalytics, a GBP account) and the ECB's daily rates, 2-4 April 2024;
- GA4: BigQuery export rows (the 2024 vintage, tests/ga4_rows.py), six sessions;
- the CRM: tests/fixtures/crm_with_emails (CRM=csv_crm), landed on the interval's last day.

Every figure asserted is computed by hand from those files (the README shows the arithmetic).
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from ga4_rows import OWN, _collected, _event, _last_click
from psycopg import sql
from support import query_rows

FIXTURES = Path(__file__).parent / "fixtures"
D2, D3, D4 = date(2024, 4, 2), date(2024, 4, 3), date(2024, 4, 4)
START = datetime(2024, 4, 2, tzinfo=UTC)
END = START + timedelta(days=3)
ADS = ("google_ads", "meta_ads", "linkedin_ads")
SUBSETS = {
    "all_sources": "google_ads,meta_ads,linkedin_ads,ga4,ecb",
    "no_linkedin": "google_ads,meta_ads,ga4,ecb",
    "no_ad_platform": "ga4",
    "no_ga4": "google_ads,meta_ads,linkedin_ads,ecb",
    "crm_only": "none",
}


def _ga4_rows(day: date) -> list[dict]:
    """Two sessions a day, each channel named by GA4's last click (2024 export vintage)."""
    paid = _last_click("google", "cpc", "Brand search", google_ads=True)
    if day == D2:  # a Google Ads click, and a direct visit
        return [
            _event(day, 0, "session_start", "1001.01", 1712052000,
                   {"page_location": f"{OWN}/?gclid=CjwKEAa1"}, 2024,
                   collected_traffic_source=_collected(gclid="CjwKEAa1"), last_click=paid),
            _event(day, 40, "page_view", "1001.01", 1712052000,
                   {"page_location": f"{OWN}/pricing", "page_referrer": f"{OWN}/"}, 2024,
                   last_click=paid),
            _event(day, 100, "session_start", "1002.02", 1712052100,
                   {"page_location": f"{OWN}/"}, 2024,
                   last_click=_last_click("(direct)", "(none)", "(direct)")),
        ]
    if day == D3:  # a Meta ad's click (its url_tags), and a newsletter click with a lead
        email = _last_click("newsletter", "email", "april")
        return [
            _event(day, 0, "session_start", "1003.03", 1712138400,
                   {"page_location": f"{OWN}/?utm_source=facebook&utm_medium=paid_social"
                                     "&utm_campaign=spring_leads"}, 2024,
                   collected_traffic_source=_collected("facebook", "paid_social",
                                                       "spring_leads"),
                   last_click=_last_click("facebook", "paid_social", "spring_leads")),
            _event(day, 100, "session_start", "1004.04", 1712138500,
                   {"page_location": f"{OWN}/?utm_source=newsletter&utm_medium=email"}, 2024,
                   collected_traffic_source=_collected("newsletter", "email", "april"),
                   last_click=email),
            _event(day, 160, "generate_lead", "1004.04", 1712138500,
                   {"page_location": f"{OWN}/demo"}, 2024, last_click=email),
        ]
    # D4: a Google Ads click with a purchase of 99.99, and a LinkedIn ad's click
    return [
        _event(day, 0, "session_start", "1005.05", 1712224800,
               {"page_location": f"{OWN}/?gclid=CjwKEAa2"}, 2024,
               collected_traffic_source=_collected(gclid="CjwKEAa2"), last_click=paid),
        _event(day, 90, "purchase", "1005.05", 1712224800,
               {"page_location": f"{OWN}/checkout", "value": 99.99, "currency": "USD"}, 2024,
               event_value_in_usd=99.99, last_click=paid),
        _event(day, 200, "session_start", "1006.06", 1712225000,
               {"page_location": f"{OWN}/?utm_source=linkedin&utm_medium=cpc"}, 2024,
               collected_traffic_source=_collected("linkedin", "cpc", "uk_demand"),
               last_click=_last_click("linkedin", "cpc", "uk_demand")),
    ]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The landing zone: the ad platforms' and ECB's files as they are, GA4's export rows, and
    the CRM's export on the last day (the days before it: header only, nothing changed)."""
    import json

    root = tmp_path_factory.mktemp("subsets") / "landing"
    shutil.copytree(FIXTURES / "ad_platforms" / "landing", root)
    for day in (D2, D3, D4):
        folder = root / "ga4" / "events" / f"dt={day.isoformat()}"
        folder.mkdir(parents=True)
        (folder / f"events_{day:%Y%m%d}.jsonl").write_text("".join(
            json.dumps(row, separators=(",", ":")) + "\n" for row in _ga4_rows(day)))
        for entity in ("leads", "deals"):
            export = (FIXTURES / "crm_with_emails" / f"{entity}.csv").read_text()
            folder = root / "csv_crm" / entity / f"dt={day.isoformat()}"
            folder.mkdir(parents=True)
            (folder / f"{entity}.csv").write_text(
                export if day == D4 else export.splitlines(keepends=True)[0])
    return root


def _figures(url: str) -> dict:
    return {
        "ads": {(r["spend_date"], r["platform"], r["ad_id"]): (
            r["account_currency"], r["spend_original"], round(r["spend"], 6), r["clicks"],
            r["impressions"], r["platform_conversions"], r["channel"], r["campaign_name"])
            for r in query_rows(url, "select * from marts.ad_performance_daily")},
        "channels": {(r["date_day"], r["channel"]): (
            r["spend"], r["clicks"], r["impressions"], r["sessions"], r["leads"])
            for r in query_rows(url, "select * from marts.daily_channel_performance")},
        "web": {(r["date_day"], r["channel"]): (
            r["spend"], r["sessions"], r["conversions"], r["web_revenue"])
            for r in query_rows(url, "select * from marts.web_conversions_daily")},
        "people": [tuple(r.values()) for r in query_rows(url, """
            select identity_source, count(*) as n, sum(crm_records) as records
            from marts.dim_people group by 1 order by 1""")],
        "exclusions": {r["exclusion_reason"]: (r["records"], r["people"])
                       for r in query_rows(url, "select * from marts.people_exclusions")},
        "skipped": {r["suite"] for r in query_rows(url, """
            select suite from ops.audit_results
            where expectation = 'skipped' and description like 'not run: %'""")},
    }


def _run(pg_server: str, landing: Path, home: Path, subset: str, platforms: str) -> dict:
    """The DAG's steps over the three days as one interval, with PLATFORMS=platforms."""
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
    env = {"WAREHOUSE_URL": url, "PLATFORMS": platforms, "CRM": "csv_crm",
           "CRM_MAPPING_FILE": str(FIXTURES / "crm_with_emails" / "mapping.yml"),
           "REVWH_HOME": str(home)}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        platforms_run = sorted({s.platform for s in enabled_sources().values()})
        loads = []
        for platform in platforms_run:
            files = pipeline.extract_platform(platform, START, END, str(landing))
            loads.append(pipeline.load_platform(platform, files, run_id=subset))
        pipeline.build_marts()
        report = runner.run_audit(START, END, subset, url)
        published = marts.publish(subset, START, END, url)
        summary = pipeline.summarize(START, END, loads, {"checks": len(report.checks),
                                                         "passed": report.passed}, published)
        return {"report": report, "published": published, "summary": summary,
                "platforms": platforms_run, "loads": loads, **_figures(url)}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))


@pytest.fixture(scope="module", params=list(SUBSETS))
def run(request, pg_server: str, landing: Path, tmp_path_factory) -> dict:
    subset = request.param
    result = _run(pg_server, landing, tmp_path_factory.mktemp(f"home-{subset}"), subset,
                  SUBSETS[subset])
    return {"subset": subset, **result}


# ---- the figures, by hand from the fixture files --------------------------------------------
# ECB rates per euro: USD 1.0745 / 1.0773 / 1.0852 and GBP 0.8562 / 0.8558 / 0.8570 on 2, 3
# and 4 April. Meta's account is in EUR (spend x USD rate); LinkedIn's in GBP (spend / GBP rate
# x USD rate); Google's in USD (rate 1).
META, LINKEDIN, GOOGLE = "120200000000000", "800000001", "4000"
AD_ROWS = {
    # (day, platform, ad): currency, spend as delivered, in USD, clicks, impressions,
    # platform conversions (Google: metrics.conversions; Meta: the `lead` action once, not the
    # pixel's copy; LinkedIn: externalWebsiteConversions + oneClickLeads), channel, campaign
    (D2, "google_ads", GOOGLE + "1"): ("USD", "12.500000", "12.500000", 10, 200, "1.0",
                                       "paid_search", "Brand search"),
    (D2, "google_ads", GOOGLE + "2"): ("USD", "4.250000", "4.250000", 3, 900, "0",
                                       "display", "Display retargeting"),
    (D3, "google_ads", GOOGLE + "1"): ("USD", "15.000000", "15.000000", 12, 240, "2.0",
                                       "paid_search", "Brand search"),
    (D3, "google_ads", GOOGLE + "2"): ("USD", "5.000000", "5.000000", 4, 1000, "0",
                                       "display", "Display retargeting"),
    (D4, "google_ads", GOOGLE + "1"): ("USD", "9.990000", "9.990000", 8, 150, "0.5",
                                       "paid_search", "Brand search"),
    (D4, "google_ads", GOOGLE + "2"): ("USD", "3.750000", "3.750000", 2, 800, "0",
                                       "display", "Display retargeting"),
    # 20.00 x 1.0745 = 21.4900; 5.50 x 1.0745 = 5.909750
    (D2, "meta_ads", META + "111"): ("EUR", "20.00", "21.490000", 25, 1500, "2",
                                     "paid_social", "Spring leads"),
    (D2, "meta_ads", META + "112"): ("EUR", "5.50", "5.909750", 6, 700, "0",
                                     "paid_social", "Spring leads"),
    # 30.00 x 1.0773 = 32.3190; 4.50 x 1.0773 = 4.847850
    (D3, "meta_ads", META + "111"): ("EUR", "30.00", "32.319000", 30, 1800, "1",
                                     "paid_social", "Spring leads"),
    (D3, "meta_ads", META + "112"): ("EUR", "4.50", "4.847850", 5, 600, "0",
                                     "paid_social", "Spring leads"),
    (D4, "meta_ads", META + "111"): ("EUR", "10.00", "10.852000", 12, 900, "0",
                                     "paid_social", "Spring leads"),
    # 18.40 / 0.8562 x 1.0745 = 23.091334; 21.60 / 0.8558 x 1.0773 = 27.190559;
    # 12.00 / 0.8570 x 1.0852 = 15.195333
    (D2, "linkedin_ads", LINKEDIN): ("GBP", "18.40", "23.091334", 9, 1200, "1",
                                     "paid_social", "UK demand"),
    (D3, "linkedin_ads", LINKEDIN): ("GBP", "21.60", "27.190559", 7, 1000, "1",
                                     "paid_social", "UK demand"),
    (D4, "linkedin_ads", LINKEDIN): ("GBP", "12.00", "15.195333", 4, 600, "0",
                                     "paid_social", "UK demand"),
}
# GA4 sessions per day and channel (the last click of each session)
SESSIONS = {(D2, "paid_search"): 1, (D2, "direct"): 1, (D3, "paid_social"): 1,
            (D3, "email"): 1, (D4, "paid_search"): 1, (D4, "paid_social"): 1}
# GA4 conversions: the newsletter session's generate_lead, the Google click's purchase
CONVERSIONS = {(D3, "email"): (1, Decimal("0.00")), (D4, "paid_search"): (1, Decimal("99.99"))}
# The CRM's people (tests/test_byo_crm_marts.py has the same export): ana's two records (L-1,
# L-2) are one person, first touch Google Ads, inquiry 4 March 10:00 Berlin; L-6 has no email
# (a trade show, 7 March); erin (L-8) came from LinkedIn Ads on 10 March. Test, spam,
# competitor and internal records are excluded; L-9's time does not exist in Berlin
# (quarantined).
LEADS = {(date(2024, 3, 4), "paid_search"): 1, (date(2024, 3, 7), "events"): 1,
         (date(2024, 3, 10), "paid_social"): 1}
PEOPLE = [("crm_record_id", 1, 1), ("email", 2, 3)]
EXCLUSIONS = {"test": (1, 1), "internal": (1, 1), "spam": (1, 1), "competitor": (1, 1),
              "no email": (0, 0), "deleted": (0, 0), "deleted deal": (0, 0)}


def _expected_ads(platforms: list[str]) -> dict:
    return {key: (currency, Decimal(spend), Decimal(usd), clicks, impressions,
                  Decimal(conversions), channel, campaign)
            for key, (currency, spend, usd, clicks, impressions, conversions, channel,
                      campaign) in AD_ROWS.items() if key[1] in platforms}


# daily_channel_performance with every source: (spend in USD to the cent, clicks, impressions,
# sessions, leads). paid_social = Meta + LinkedIn: 2 April 21.49 + 5.90975 + 23.091334 = 50.49,
# 40 clicks (25 + 6 + 9), 3400 impressions; 3 April 32.319 + 4.84785 + 27.190559 = 64.36, 42,
# 3400; 4 April 10.852 + 15.195333 = 26.05, 16, 1500.
CHANNELS = {
    (D2, "paid_search"): ("12.50", 10, 200, 1, 0),
    (D2, "display"): ("4.25", 3, 900, 0, 0),
    (D2, "paid_social"): ("50.49", 40, 3400, 0, 0),
    (D2, "direct"): ("0.00", 0, 0, 1, 0),
    (D3, "paid_search"): ("15.00", 12, 240, 0, 0),
    (D3, "display"): ("5.00", 4, 1000, 0, 0),
    (D3, "paid_social"): ("64.36", 42, 3400, 1, 0),
    (D3, "email"): ("0.00", 0, 0, 1, 0),
    (D4, "paid_search"): ("9.99", 8, 150, 1, 0),
    (D4, "display"): ("3.75", 2, 800, 0, 0),
    (D4, "paid_social"): ("26.05", 16, 1500, 1, 0),
    (date(2024, 3, 4), "paid_search"): ("0.00", 0, 0, 0, 1),
    (date(2024, 3, 7), "events"): ("0.00", 0, 0, 0, 1),
    (date(2024, 3, 10), "paid_social"): ("0.00", 0, 0, 0, 1),
}
# paid_social without LinkedIn: Meta alone (21.49 + 5.90975 = 27.40; 32.319 + 4.84785 = 37.17;
# 10.852 = 10.85)
PAID_SOCIAL_META = {D2: ("27.40", 31, 2200), D3: ("37.17", 35, 2400), D4: ("10.85", 12, 900)}


def _expected_channels(platforms: list[str]) -> dict:
    """CHANNELS for a subset: no spend without an ad platform, no sessions without GA4 (a
    (day, channel) left with nothing at all has no row)."""
    rows = {}
    for (day, channel), (spend, clicks, impressions, sessions, leads) in CHANNELS.items():
        if channel == "paid_social" and day in PAID_SOCIAL_META \
                and "linkedin_ads" not in platforms:
            spend, clicks, impressions = PAID_SOCIAL_META[day]
        if not set(ADS) & set(platforms):
            spend, clicks, impressions = "0.00", 0, 0
        if "ga4" not in platforms:
            sessions = 0
        if (spend, clicks, impressions, sessions, leads) != ("0.00", 0, 0, 0, 0):
            rows[(day, channel)] = (Decimal(spend), clicks, impressions, sessions, leads)
    return rows


def test_every_subset_audits_and_publishes_the_figures_of_its_sources(run: dict) -> None:
    platforms = run["platforms"]
    ads = [p for p in ADS if p in platforms]
    assert not run["report"].failed, [c.describe() for c in run["report"].failed]
    # every file loads whole: the CRM's L-9 alone is quarantined (its time does not exist)
    loaded = {(r["source"], r["day"]): (r["rows_loaded"], r["rows_quarantined"])
              for results in run["loads"] for r in results}
    assert loaded[("csv_crm__leads", "2024-04-04")] == (8, 1)
    assert sum(q for _, q in loaded.values()) == 1
    if "meta_ads" in platforms:
        assert loaded[("meta_ads__ads_insights", "2024-04-02")] == (2, 0)
    # ad_performance_daily: each ad and day of the run's ad platforms, to the micro-dollar
    assert run["ads"] == _expected_ads(platforms)
    assert run["published"]["ad_performance_daily"] == len(_expected_ads(platforms))
    # daily_channel_performance: spend per day and channel, sessions, the CRM's leads
    assert run["channels"] == _expected_channels(platforms)
    # web_conversions_daily: the same spend and sessions, GA4's conversions
    web = {key: (spend, sessions) for key, (spend, _, _, sessions, _)
           in _expected_channels(platforms).items() if spend or sessions}
    assert {key: (v[0], v[1]) for key, v in run["web"].items()} == web
    assert {key: (v[2], v[3]) for key, v in run["web"].items() if v[2]} == (
        CONVERSIONS if "ga4" in platforms else {})
    # the CRM's people and exclusions, whatever else is in the run
    assert run["people"] == PEOPLE
    assert run["published"]["dim_people"] == 3
    assert run["exclusions"] == EXCLUSIONS
    # a mart a missing source leaves empty, and the run summary's note saying so
    summary = run["summary"]
    if not ads:
        assert "no ad platform among the run's sources" in summary
        assert {"reconcile__ad_performance_daily", "freshness__ad_performance_daily"} \
            <= run["skipped"]
    for platform in ADS:
        note = f"{platform} is not among the run's sources"
        assert (note in summary) == (bool(ads) and platform not in ads), platform
    assert ("ga4 is not among the run's sources" in summary) == ("ga4" not in platforms)
    if run["subset"] == "crm_only":
        assert run["published"]["web_conversions_daily"] == 0
        assert run["published"]["daily_channel_performance"] == len(LEADS)
    if run["subset"] == "all_sources":
        assert "note:" not in summary


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
