"""GA4 BigQuery exports of three vintages, written from the documented export schema
(https://support.google.com/analytics/answer/7029846), not from the simulator: each row as
BigQuery's JSON export writes it (INT64 values as JSON strings, FLOAT as numbers, records as
objects, repeated records as arrays, nested event_params with value.string_value / int_value /
float_value / double_value).

- 2020: no collected_traffic_source; traffic_source is the user's first touch only; the
  session's source, medium and campaign are in the events' event_params and page_location.
- 2023: collected_traffic_source on the events (manual_source, manual_medium, gclid ...).
- 2024: session_traffic_source_last_click as well (manual_campaign, google_ads_campaign,
  cross_channel_campaign ...).

GA4 is the only platform (no ad platform, no CRM file): the run loads, builds, audits and
publishes (issue 18 items 6, 7 and 8), and the published marts hold the channels and conversions
the rows say. Beside it, one ECB daily reference rates file (eurofxref.csv as the ECB publishes
it: "Date, USD, JPY, ..., " and one line of rates per euro; the rates are the fixture's): a
purchase in euros is converted into the reporting currency (USD) at its rate.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import yaml
from ga4_rows import (
    ITEM,
    OWN,
    _collected,
    _event,
    _last_click,
    _purchase,
)
from psycopg import sql
from support import query_rows

from revwh.core import contract
from revwh.core.sources import SOURCES

DAY_2020, DAY_2023, DAY_2024 = date(2020, 11, 2), date(2023, 9, 4), date(2024, 6, 3)


def rows_2020() -> list[dict]:
    d, v = DAY_2020, 2020
    return [
        # a click on a Google ad: the source/medium/campaign and gclid params (GA4 2020 sets
        # them on the events of the landing), the gclid on the landing URL; then a purchase.
        # The user's first touch (traffic_source) was direct: not the session's source.
        _event(d, 0, "session_start", "1111.01", 1604311200,
               {"page_location": f"{OWN}/?gclid=Cj0KCQiA", "source": "google", "medium": "cpc",
                "campaign": "brand", "gclid": "Cj0KCQiA"}, v),
        _event(d, 1, "page_view", "1111.01", 1604311200,
               {"page_location": f"{OWN}/?gclid=Cj0KCQiA", "source": "google", "medium": "cpc",
                "campaign": "brand", "gclid": "Cj0KCQiA"}, v),
        _event(d, 90, "page_view", "1111.01", 1604311200,
               {"page_location": f"{OWN}/pricing", "page_referrer": f"{OWN}/"}, v),
        _event(d, 200, "purchase", "1111.01", 1604311200,
               {"page_location": f"{OWN}/checkout", "page_referrer": f"{OWN}/pricing",
                "transaction_id": "T-2020-1", "currency": "USD", "value": 120.5}, v,
               event_value_in_usd=120.5, ecommerce=_purchase(120.5, "T-2020-1"),
               items=[ITEM]),
        # a self-referral: the site's own pages as referrer, and a source param naming the own
        # domain (GA4 records internal navigation after a session times out that way); the
        # user's first touch was google/cpc, which must not leak into this session
        _event(d, 300, "session_start", "2222.02", 1604311500,
               {"page_location": f"{OWN}/docs", "page_referrer": f"{OWN}/blog/post",
                "source": "acme-analytics.example", "medium": "referral"}, v,
               traffic_source={"name": "brand", "medium": "cpc", "source": "google"}),
        _event(d, 301, "page_view", "2222.02", 1604311500,
               {"page_location": f"{OWN}/docs", "page_referrer": f"{OWN}/blog/post",
                "source": "acme-analytics.example", "medium": "referral"}, v,
               traffic_source={"name": "brand", "medium": "cpc", "source": "google"}),
        _event(d, 400, "generate_lead", "2222.02", 1604311500,
               {"page_location": f"{OWN}/demo", "page_referrer": f"{OWN}/docs",
                "form_id": "demo-request"}, v,
               traffic_source={"name": "brand", "medium": "cpc", "source": "google"}),
        # a newsletter click (params), then internal navigation; a sign-up
        _event(d, 500, "session_start", "3333.03", 1604311700,
               {"page_location": f"{OWN}/?utm_source=newsletter&utm_medium=email",
                "source": "newsletter", "medium": "email", "campaign": "november"}, v),
        _event(d, 560, "page_view", "3333.03", 1604311700,
               {"page_location": f"{OWN}/signup", "page_referrer": f"{OWN}/"}, v),
        _event(d, 600, "sign_up", "3333.03", 1604311700,
               {"page_location": f"{OWN}/welcome", "page_referrer": f"{OWN}/signup",
                "method": "email"}, v),
        # UTMs only on page_location (no source params): paid social; a purchase valued by
        # event_value_in_usd alone
        _event(d, 700, "page_view", "4444.04", 1604311900,
               {"page_location": f"{OWN}/?utm_source=facebook&utm_medium=paid_social"
                                 "&utm_campaign=autumn+sale"}, v),
        _event(d, 760, "purchase", "4444.04", 1604311900,
               {"page_location": f"{OWN}/checkout", "page_referrer": f"{OWN}/"}, v,
               event_value_in_usd=30.0),
        # a link from another site: referral; a purchase valued by its value param alone
        _event(d, 800, "page_view", "5555.05", 1604312000,
               {"page_location": f"{OWN}/", "page_referrer": "https://www.g2.com/products/x"},
               v),
        _event(d, 820, "add_to_cart", "5555.05", 1604312000,
               {"page_location": f"{OWN}/pricing", "page_referrer": f"{OWN}/"}, v),
        _event(d, 860, "purchase", "5555.05", 1604312000,
               {"page_location": f"{OWN}/checkout", "value": 15.25, "currency": "USD"}, v),
    ]




def rows_2023() -> list[dict]:
    d, v = DAY_2023, 2023
    return [
        # collected_traffic_source with a gclid: paid search; a purchase of 200
        _event(d, 0, "session_start", "6666.06", 1693821600,
               {"page_location": f"{OWN}/?gclid=EAIaIQob"}, v,
               collected_traffic_source=_collected("google", "cpc", "generic", "EAIaIQob")),
        _event(d, 1, "page_view", "6666.06", 1693821600,
               {"page_location": f"{OWN}/?gclid=EAIaIQob"}, v,
               collected_traffic_source=_collected("google", "cpc", "generic", "EAIaIQob")),
        _event(d, 100, "purchase", "6666.06", 1693821600,
               {"page_location": f"{OWN}/checkout", "page_referrer": f"{OWN}/"}, v,
               ecommerce=_purchase(200.0, "T-2023-1"), items=[ITEM]),
        # a self-referral in collected_traffic_source and page_referrer (the apex domain): direct
        _event(d, 200, "session_start", "7777.07", 1693821800,
               {"page_location": f"{OWN}/", "page_referrer": "https://acme-analytics.example/"},
               v, collected_traffic_source=_collected("acme-analytics.example", "referral")),
        _event(d, 260, "generate_lead", "7777.07", 1693821800,
               {"page_location": f"{OWN}/demo", "page_referrer": f"{OWN}/"}, v),
        # a Display & Video 360 click, its dclid alone (no UTMs): display
        _event(d, 400, "session_start", "7878.07", 1693822000,
               {"page_location": f"{OWN}/?dclid=CJKx"}, v,
               collected_traffic_source=_collected(dclid="CJKx")),
    ]




def rows_2024() -> list[dict]:
    d, v = DAY_2024, 2024
    email = _last_click("newsletter", "email", "june")
    direct = _last_click("(direct)", "(none)", "(direct)")
    paid = _last_click("google", "cpc", "brand-2024", google_ads=True)
    return [
        # GA4's last click (email) wins over an event's collected google/cpc without a click id
        _event(d, 0, "session_start", "8888.08", 1717408800,
               {"page_location": f"{OWN}/?utm_source=newsletter&utm_medium=email"}, v,
               collected_traffic_source=_collected("newsletter", "email", "june"),
               last_click=email),
        _event(d, 30, "page_view", "8888.08", 1717408800,
               {"page_location": f"{OWN}/features", "page_referrer": f"{OWN}/"}, v,
               collected_traffic_source=_collected("google", "cpc"), last_click=email),
        _event(d, 60, "generate_lead", "8888.08", 1717408800,
               {"page_location": f"{OWN}/demo"}, v, last_click=email),
        # direct, with internal navigation as the only referrer
        _event(d, 100, "session_start", "9999.09", 1717408900,
               {"page_location": f"{OWN}/"}, v, last_click=direct),
        _event(d, 150, "page_view", "9999.09", 1717408900,
               {"page_location": f"{OWN}/signup", "page_referrer": f"{OWN}/"}, v,
               last_click=direct),
        _event(d, 190, "sign_up", "9999.09", 1717408900,
               {"page_location": f"{OWN}/welcome", "page_referrer": f"{OWN}/signup"}, v,
               last_click=direct),
        # then a purchase in euros: value 50 EUR (the site's own figure); GA4 wrote it in the
        # property's currency (USD) at Google's rate, 54.31, in purchase_revenue, and in
        # purchase_revenue_in_usd and event_value_in_usd; the warehouse converts the 50 EUR at
        # the ECB rate: 50 x 1.0850 = 54.25 USD
        _event(d, 230, "purchase", "9999.09", 1717408900,
               {"page_location": f"{OWN}/checkout", "transaction_id": "T-2024-EUR",
                "value": 50.0, "currency": "EUR"}, v,
               event_value_in_usd=54.31, ecommerce=_purchase(54.31, "T-2024-EUR"),
               items=[ITEM], last_click=direct),
        # a Google Ads click; a purchase carrying its revenue three ways (counted once)
        _event(d, 300, "session_start", "1010.10", 1717409100,
               {"page_location": f"{OWN}/?gclid=CjwKCAjw"}, v,
               collected_traffic_source=_collected(gclid="CjwKCAjw"), last_click=paid),
        _event(d, 400, "purchase", "1010.10", 1717409100,
               {"page_location": f"{OWN}/checkout", "value": 99.99, "currency": "USD"}, v,
               event_value_in_usd=99.99, ecommerce=_purchase(99.99, "T-2024-1"),
               items=[ITEM], last_click=paid),
    ]


VINTAGES = {DAY_2020: rows_2020, DAY_2023: rows_2023, DAY_2024: rows_2024}

# The ECB's daily file of Friday 31 May 2024, the newest publication loaded: Monday 3 June's
# purchase in euros takes its rate (as spend on a day without a publication does), 1.0850 USD
# per euro. Its header and line end with ", " as the ECB writes them.
ECB_DAY = date(2024, 5, 31)
ECB_FILE = ("Date, USD, JPY, BGN, CZK, DKK, GBP, HUF, PLN, RON, SEK, CHF, ISK, NOK, TRY, AUD, "
            "BRL, CAD, CNY, HKD, IDR, ILS, INR, KRW, MXN, MYR, NZD, PHP, SGD, THB, ZAR, \n"
            "31 May 2024, 1.0850, 170.88, 1.9558, 24.716, 7.4605, 0.8500, 390.08, 4.2648, "
            "4.9762, 11.4230, 0.9788, 150.10, 11.3655, 34.9842, 1.6313, 5.6174, 1.4782, "
            "7.8577, 8.4813, 17637.58, 4.0253, 90.4745, 1495.54, 18.4710, 5.1061, 1.7627, "
            "63.544, 1.4653, 39.857, 20.3598, \n")


def _write(landing: Path, day: date, rows: list[dict]) -> None:
    folder = landing / "ga4" / "events" / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"events_{day:%Y%m%d}.jsonl").write_text(
        "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows))


@pytest.fixture(scope="module")
def ga4_only(pg_server: str, tmp_path_factory: pytest.TempPathFactory):
    """A warehouse with only GA4 (PLATFORMS=ga4, no CRM file): the three vintages loaded,
    built, audited for each day and published, as the DAG's tasks do."""
    from revwh.gate import runner
    from revwh.ops import pipeline
    from revwh.publish import marts

    name = f"revwh_test_ga4_{os.getpid()}"
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    landing = tmp_path_factory.mktemp("ga4-landing")
    for day, rows in VINTAGES.items():
        _write(landing, day, rows())
    ecb = landing / "ecb" / "fx_rates" / f"dt={ECB_DAY.isoformat()}"
    ecb.mkdir(parents=True)
    (ecb / "eurofxref.csv").write_text(ECB_FILE)
    saved = {key: os.environ.get(key) for key in ("WAREHOUSE_URL", "PLATFORMS", "CRM")}
    os.environ.update({"WAREHOUSE_URL": url, "PLATFORMS": "ecb", "CRM": "hubspot"})
    try:
        start = datetime(ECB_DAY.year, ECB_DAY.month, ECB_DAY.day, tzinfo=UTC)
        rates = pipeline.load_platform("ecb", pipeline.extract_platform(
            "ecb", start, start + timedelta(days=1), str(landing)), run_id="ecb")
        assert [(r["day"], r["rows_loaded"]) for r in rates] == [("2024-05-31", 1)]
        os.environ["PLATFORMS"] = "ga4"
        loads, audits, published = [], [], {}
        for day in VINTAGES:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            end = start + timedelta(days=1)
            files = pipeline.extract_platform("ga4", start, end, str(landing))
            loads.append(pipeline.load_platform("ga4", files, run_id=f"ga4_{day}"))
        pipeline.build_marts()
        for day in VINTAGES:  # the audit and publish of each day's run
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            end = start + timedelta(days=1)
            report = runner.run_audit(start, end, f"ga4_{day}", url)
            audits.append(report)
            published = marts.publish(f"ga4_{day}", start, end, url)
        summary = pipeline.summarize(
            start, end, loads, {"checks": len(report.checks), "passed": report.passed},
            published)
        yield {"url": url, "loads": loads, "audits": audits, "published": published,
               "summary": summary, "landing": landing}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))


def test_the_documented_export_fields_are_known_not_drift(ga4_only):
    # every vintage loads whole, and none of its documented fields is reported as new
    loads = [result for results in ga4_only["loads"] for result in results]
    assert {(r["day"], r["rows_loaded"], r["rows_quarantined"]) for r in loads} == {
        ("2020-11-02", 15, 0), ("2023-09-04", 6, 0), ("2024-06-03", 9, 0)}
    assert len(loads) == 3 and [list(r["new_fields"]) for r in loads] == [[], [], []]
    rows = rows_2020() + rows_2023() + rows_2024()
    assert set().union(*rows) <= set(SOURCES["ga4__events"].known)
    for field in ("ecommerce", "items", "user_ltv", "privacy_info", "user_properties",
                  "event_bundle_sequence_id", "event_value_in_usd",
                  "user_first_touch_timestamp", "session_traffic_source_last_click",
                  "is_active_user", "app_info", "publisher", "batch_event_index"):
        assert field in SOURCES["ga4__events"].known


def test_sessions_take_their_channel_from_the_source_their_vintage_carries(ga4_only):
    sessions = {r["user_pseudo_id"]: r for r in query_rows(ga4_only["url"], """
        select user_pseudo_id, session_date, source, medium, campaign, gclid, referrer, channel
        from intermediate.int_ga4__sessions""")}
    assert {user: (r["channel"], r["source"], r["medium"], r["campaign"])
            for user, r in sessions.items()} == {
        # 2020: event_params and page_location
        "1111.01": ("paid_search", "google", "cpc", "brand"),
        "2222.02": ("direct", None, None, None),  # self-referral, first touch not used
        "3333.03": ("email", "newsletter", "email", "november"),
        "4444.04": ("paid_social", "facebook", "paid_social", "autumn sale"),
        "5555.05": ("referral", None, None, None),
        # 2023: collected_traffic_source
        "6666.06": ("paid_search", "google", "cpc", "generic"),
        "7777.07": ("direct", None, None, None),  # self-referral in collected and referrer
        "7878.07": ("display", None, None, None),
        # 2024: session_traffic_source_last_click
        "8888.08": ("email", "newsletter", "email", "june"),
        "9999.09": ("direct", None, None, None),
        "1010.10": ("paid_search", "google", "cpc", "brand-2024"),
    }
    assert sessions["1111.01"]["gclid"] == "Cj0KCQiA"
    assert sessions["1010.10"]["gclid"] == "CjwKCAjw"
    assert sessions["5555.05"]["referrer"] == "https://www.g2.com/products/x"
    # no session has the company's own domain as its referrer
    assert all("acme-analytics.example" not in (r["referrer"] or "") for r in sessions.values())


def test_web_conversions_by_day_and_channel(ga4_only):
    rows = query_rows(ga4_only["url"], """
        select date_day, channel, spend, clicks, sessions, conversions, valued_conversions,
               web_revenue, cost_per_conversion, return_on_ad_spend, currency
        from marts.web_conversions_daily order by date_day, channel""")
    got = {(r["date_day"], r["channel"]): (r["sessions"], r["conversions"],
                                           r["valued_conversions"], r["web_revenue"])
           for r in rows}
    assert got == {
        (DAY_2020, "direct"): (1, 1, 0, Decimal("0.00")),  # generate_lead
        (DAY_2020, "email"): (1, 1, 0, Decimal("0.00")),  # sign_up
        (DAY_2020, "paid_search"): (1, 1, 1, Decimal("120.50")),  # ecommerce.purchase_revenue
        (DAY_2020, "paid_social"): (1, 1, 1, Decimal("30.00")),  # event_value_in_usd
        (DAY_2020, "referral"): (1, 1, 1, Decimal("15.25")),  # the value param
        (DAY_2023, "direct"): (1, 1, 0, Decimal("0.00")),
        (DAY_2023, "display"): (1, 0, 0, Decimal("0.00")),  # a session, no conversion
        (DAY_2023, "paid_search"): (1, 1, 1, Decimal("200.00")),
        # sign_up, and 50 EUR at the ECB's 1.0850 (not GA4's 54.31 in USD)
        (DAY_2024, "direct"): (1, 2, 1, Decimal("54.25")),
        (DAY_2024, "email"): (1, 1, 0, Decimal("0.00")),
        (DAY_2024, "paid_search"): (1, 1, 1, Decimal("99.99")),  # revenue counted once
    }
    # no ad platform: no spend, no clicks, nothing paid per conversion, no ROAS
    assert {(r["spend"], r["clicks"], r["cost_per_conversion"], r["return_on_ad_spend"],
             r["currency"]) for r in rows if r["conversions"]} == {
        (Decimal("0.00"), 0, Decimal("0.00"), None, "USD")}
    assert [r["cost_per_conversion"] for r in rows if not r["conversions"]] == [None]
    assert sum(r["web_revenue"] for r in rows) == Decimal("519.99")  # 465.74 in USD + 54.25
    # each value in its own currency, from the field the precedence picks
    values = query_rows(ga4_only["url"], """
        select event_name, value, value_currency, value_field
        from intermediate.int_ga4__conversions where value is not null order by event_at""")
    assert [(r["value"], r["value_currency"], r["value_field"]) for r in values] == [
        (Decimal("120.5"), "USD", "value"), (Decimal("30.0"), "USD", "event_value_in_usd"),
        (Decimal("15.25"), "USD", "value"), (Decimal("200.0"), "USD", "purchase_revenue"),
        (Decimal("50.0"), "EUR", "value"), (Decimal("99.99"), "USD", "value")]


def test_ga4_alone_audits_and_publishes_with_the_ad_marts_empty(ga4_only):
    published = ga4_only["published"]
    assert published["web_conversions_daily"] == 11
    assert published["ad_performance_daily"] == 0
    assert published["daily_channel_performance"] == 11
    for report in ga4_only["audits"]:
        assert not report.failed
    skipped = [check for report in ga4_only["audits"] for check in report.checks
               if check.suite == "reconcile__ad_performance_daily"]
    assert skipped and all(c.success and c.expectation == "skipped" for c in skipped)
    assert "no ad platform" in skipped[0].note
    # the empty mart's per-day volume suite is never handed to GX (no daily batch definition
    # on an empty table): skipped, with its reason
    volume = [check for report in ga4_only["audits"] for check in report.checks
              if check.suite == "volume__ad_performance_daily"]
    assert len(volume) == 3 and all(c.success and c.expectation == "skipped" for c in volume)
    assert "audit.ad_performance_daily has no rows with a spend_date" in volume[0].note
    recorded = query_rows(ga4_only["url"], """
        select suite, expectation, success, description from ops.audit_results
        where suite in ('reconcile__ad_performance_daily', 'freshness__ad_performance_daily')""")
    assert recorded and all(r["success"] and r["expectation"] == "skipped" for r in recorded)
    assert all("no ad platform" in r["description"] for r in recorded)
    summary = ga4_only["summary"]
    assert "ad_performance_daily" in summary and "no ad platform" in summary


@pytest.mark.parametrize("web, message", [
    ({"own_domains": ["https://www.acme-analytics.example/"]}, "web.own_domains"),
    ({"conversions": [{"event": "purchase"}, {"event": "purchase", "value": True}]},
     "web.conversions"),
    ({"conversions": [{"value": True}]}, "web.conversions"),
    ({"currency": "usd"}, "web.currency"),
])
def test_the_contract_names_a_wrong_web_section(tmp_path: Path, monkeypatch, web: dict,
                                                message: str):
    assert contract.web()["own_domains"] == ["acme-analytics.example"]
    assert [c["event"] for c in contract.web()["conversions"]] == [
        "generate_lead", "sign_up", "purchase"]
    assert contract.web()["currency"] == "USD"
    changed = yaml.safe_load(contract.contract_path().read_text())
    changed["web"] = web
    path = tmp_path / "lead_definition.yml"
    path.write_text(yaml.safe_dump(changed))
    monkeypatch.setenv("LEAD_DEFINITION_FILE", str(path))
    with pytest.raises(contract.ContractError, match=message):
        contract.load()


def _conversion_values(url: str) -> set[tuple]:
    return {(r["user_pseudo_id"], r["value"], r["value_currency"], r["value_field"])
            for r in query_rows(url, """
        select sessions.user_pseudo_id, conversions.value, conversions.value_currency,
               conversions.value_field
        from intermediate.int_ga4__conversions as conversions
        inner join intermediate.int_ga4__sessions as sessions using (session_key)
        where conversions.value is not null and conversions.value_currency <> 'EUR'""")}


def test_a_value_without_a_rate_fails_the_build_and_a_contract_change_rebuilds(ga4_only):
    """Runs last: it changes the fixture's warehouse. The day of 3 June 2024 pulled again with
    a purchase in Argentine pesos, a currency the ECB does not publish: the nightly build
    (incremental) takes the event in, and the mart's build fails naming the currency and the day
    (the mart keeps its last rows); it is neither 0 nor left out. Then the contract's
    web.currency changes: the conversions built before the window are rebuilt too."""
    from revwh.core.errors import WarehouseError
    from revwh.ops import pipeline
    from revwh.transform.dbt_runner import run_dbt

    url, landing = ga4_only["url"], ga4_only["landing"]
    pesos = _event(DAY_2024, 600, "purchase", "1010.10", 1717409100,
                   {"page_location": f"{OWN}/checkout", "value": 90000, "currency": "ars"}, 2024,
                   last_click=_last_click("google", "cpc", "brand-2024", google_ads=True))
    _write(landing, DAY_2024, [*rows_2024(), pesos])
    start = datetime(DAY_2024.year, DAY_2024.month, DAY_2024.day, tzinfo=UTC)
    files = pipeline.extract_platform("ga4", start, start + timedelta(days=1), str(landing))
    assert [r["rows_loaded"] for r in pipeline.load_platform("ga4", files, "ga4_ars")] == [10]
    models = ["-s", "int_ga4__conversions", "int_fx_rates__daily", "web_conversions_daily"]
    with pytest.raises(WarehouseError, match=r"web_conversions_daily: no ECB rate for ARS on "
                                             r"2024-06-03 \(GA4 purchase of 90000 ARS"):
        run_dbt(["run", *models], url=url)
    assert ("1010.10", Decimal("90000"), "ARS", "value") in _conversion_values(url)
    kept = query_rows(url, "select sum(web_revenue) as total from audit.web_conversions_daily")
    assert kept[0]["total"] == Decimal("519.99")

    # the property's currency changes: 2023's purchase_revenue (a partition long before the
    # window) is in it now, and every row carries the new definition's md5
    changed = json.loads(json.dumps(contract.load()))
    changed["web"]["currency"] = "GBP"
    run_dbt(["run", "-s", "int_ga4__conversions"], url=url,
            extra_vars={"lead_definition": changed})
    assert _conversion_values(url) == {
        ("1111.01", Decimal("120.5"), "USD", "value"),  # their own currency parameter
        ("5555.05", Decimal("15.25"), "USD", "value"),
        ("1010.10", Decimal("99.99"), "USD", "value"),
        ("1010.10", Decimal("90000"), "ARS", "value"),
        ("4444.04", Decimal("30.0"), "USD", "event_value_in_usd"),
        ("6666.06", Decimal("200.0"), "GBP", "purchase_revenue")}  # the property's currency
    assert query_rows(url, "select count(distinct definition_md5) as md5s, count(*) as events"
                           " from intermediate.int_ga4__conversions") == [
        {"md5s": 1, "events": 12}]
