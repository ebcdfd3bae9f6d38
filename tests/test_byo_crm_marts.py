"""A bring-your-own CRM export (CRM=csv_crm) reaches the marts as HubSpot and Salesforce do.

The fixtures are written by hand from the documented export shapes, not from the simulator:

- tests/fixtures/funnel_export: a public marketing-funnel export: leads with an id, a date-only
  first contact and an origin; closed deals with the lead id, the won moment, the rep and the
  segment. No emails, no amounts, no deal ids. Dates from 2017-2018, loaded in 2020 (an export
  two years old); three leads first contacted on 2017-10-15, the day America/Sao_Paulo skipped
  midnight; one deal won before its lead's first contact (an anomaly).
- tests/fixtures/crm_with_emails: emails (one person in two records), every exclusion reason,
  a lead without an email, a won deal and an open one with amounts, and a row whose local time
  does not exist (quarantined, not dropped).
- tests/fixtures/crm_deletions: an export that keeps deleted leads and deals, marked by a yes/no
  column or a deletion moment, and a yes/no cell that is neither (quarantined).

Each export is loaded with revwh.ingest.load.load_file and built with `dbt build`; the tests
assert mart figures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from support import build_crm_export

from revwh.ingest import crm_report
from revwh.ingest.crm_spec import load_mapping, map_row

FIXTURES = Path(__file__).parent / "fixtures"
LOADED_ON = date(2020, 3, 1)  # the funnel export's data is from 2017-10 to 2018-03


def _rows(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def funnel(database_factory, tmp_path_factory):
    return build_crm_export(database_factory, tmp_path_factory.mktemp("byo-home"),
                  "revwh_test_byo_funnel", "funnel_export", "mql.csv", "closed_deals.csv",
                  LOADED_ON)


@pytest.fixture(scope="module")
def small(database_factory, tmp_path_factory):
    return build_crm_export(database_factory, tmp_path_factory.mktemp("byo-home"),
                  "revwh_test_byo_small", "crm_with_emails", "leads.csv", "deals.csv",
                  date(2024, 3, 31))


@pytest.fixture(scope="module")
def deletions(database_factory, tmp_path_factory):
    return build_crm_export(database_factory, tmp_path_factory.mktemp("byo-home"),
                  "revwh_test_byo_deletions", "crm_deletions", "leads.csv", "deals.csv",
                  date(2024, 3, 31))


def _reconcile(built) -> tuple[list[tuple], tuple]:
    """The gate's people reconciliation (problems, totals) on the build's dim_people."""
    query = built.people_check.replace("{batch}", "audit.dim_people")
    problems = _rows(built.url, query)
    totals_query = query.replace(
        "select problems.problem, problems.crm_record_id, totals.*\n    from problems cross "
        "join totals", "select * from totals")
    return problems, _rows(built.url, totals_query)[0]


def test_a_funnel_export_without_emails_or_amounts_reaches_the_marts(funnel):
    assert funnel.loaded["leads"].rows_loaded == 12 and funnel.loaded["deals"].rows_loaded == 5
    people = _rows(funnel.url, """
        select count(*), count(*) filter (where identity_source = 'crm_record_id'),
            count(mql_at), count(customer_at), count(*) filter (where is_sales_created)
        from audit.dim_people""")[0]
    # 12 people though no lead has an email; all MQLs (the export's stage); 5 customers
    assert people == (12, 12, 12, 5, 0)
    channels = dict(_rows(funnel.url, """
        select first_touch_channel, count(*) from audit.dim_people group by 1"""))
    assert channels == {"organic_search": 2, "paid_search": 3, "paid_social": 1, "other": 2,
                        "direct": 1, "email": 1, "referral": 1, "display": 1}
    opportunities = _rows(funnel.url, """
        select count(*), count(*) filter (where outcome = 'won'), count(amount),
            count(amount_reporting), sum(amount_reporting), sum(closed_revenue_reporting),
            count(*) filter (where opportunity_id like 'lead:%%')
        from audit.opportunities""")[0]
    # 5 won deals, none with an amount: pipeline and revenue unknown (null), never 0
    assert opportunities == (5, 5, 0, 0, None, None, 5)
    scorecard = _rows(funnel.url, """
        select sum(mqls), sum(opportunities), count(*) filter (where opportunities > 0),
            count(pipeline) filter (where opportunities > 0),
            count(won_revenue) filter (where opportunities > 0), max(win_rate)
        from audit.weekly_scorecard""")[0]
    assert scorecard[:5] == (12, 5, 5, 0, 0)
    assert scorecard[5] == 1  # counts and rates stay right without amounts
    attribution = _rows(funnel.url, """
        select count(*), count(attributed_pipeline), sum(attributed_opportunities)
        from audit.attribution_by_channel where attributed_opportunities > 0""")[0]
    assert attribution[0] > 0 and attribution[1] == 0
    owners = _rows(funnel.url, "select count(*) from intermediate.int_crm__owners")[0][0]
    assert owners == 2  # sr-7 and sr-9, from the deals


def test_a_date_only_column_in_a_dst_gap_is_that_day(funnel):
    mapping = load_mapping(FIXTURES / "funnel_export" / "mapping.yml")
    record, issues = map_row(mapping, "leads", {
        "mql_id": "X", "first_contact_date": "2017-10-15", "origin": "paid_search"})
    assert issues == [] and record["created_at"] == "2017-10-15T00:00:00Z"
    # a wall-clock time in the gap is still an issue, and the message says what to do
    _, issues = map_row(mapping, "deals", {
        "mql_id": "X", "sr_id": "s", "won_date": "2017-10-15 00:30:00"})
    assert [issue.kind for issue in issues] == ["invalid"]
    assert "does not exist in America/Sao_Paulo" in issues[0].reason
    assert "set `timezone` on this column" in issues[0].reason
    inquiries = _rows(funnel.url, """
        select crm_record_id, (inquiry_at at time zone 'UTC')::date, mql_at = inquiry_at
        from audit.dim_people where (inquiry_at at time zone 'UTC')::date = '2017-10-15'
        order by 1""")
    assert inquiries == [(f"MQL-000{n}", date(2017, 10, 15), True) for n in (2, 3, 4)]
    # the won moment is Sao Paulo wall-clock time (UTC-2 in summer time)
    won = _rows(funnel.url, """
        select to_char(customer_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')
        from audit.dim_people where crm_record_id = 'MQL-0002'""")
    assert won == [("2017-11-20 16:03:11",)]


def test_a_deal_won_before_first_contact_is_flagged_and_counted(funnel):
    flagged = _rows(funnel.url, """
        select crm_record_id, anomalies, current_stage from audit.dim_people
        where anomalies is not null""")
    assert flagged == [("MQL-0012", "won_before_first_contact,opportunity_before_first_contact",
                        "customer")]
    deals = _rows(funnel.url, """
        select crm_record_id, anomalies, is_won from audit.opportunities
        where anomalies is not null""")
    assert deals == [("MQL-0012", "won_before_first_contact,opportunity_before_first_contact",
                      True)]
    counted = dict(_rows(funnel.url, "select anomaly, people from audit.crm_anomalies"))
    assert counted == {"won_before_first_contact": 1, "opportunity_before_first_contact": 1,
                       "stage_before_created": 0}
    history = _rows(funnel.url, """
        select count(*), count(*) filter (where days_in_stage < 0)
        from audit.funnel_stage_history where is_anomalous""")[0]
    assert history[0] > 0 and history[1] == 1  # kept, with its negative days, flagged


def test_people_without_email_reconcile_with_the_raw_crm(funnel):
    problems, totals = _reconcile(funnel)
    assert problems == []
    # raw people, marts people, excluded, deleted, records without email, per reason, quarantine
    assert totals == (12, 12, 0, 0, 12, None, 0)
    exclusions = dict(_rows(funnel.url, "select exclusion_reason, people "
                                        "from audit.people_exclusions"))
    assert set(exclusions.values()) == {0} and len(exclusions) == 7  # 6 reasons, deleted deal


def test_exclusions_are_counted_per_reason_and_reconciled(small):
    # L-9's local time does not exist in Berlin: quarantined (counted), not dropped silently
    assert small.loaded["leads"].rows_loaded == 8
    people = _rows(small.url, """
        select identity_source, count(*), sum(crm_records), count(mql_at), count(customer_at)
        from audit.dim_people group by 1 order by 1""")
    # ana's two records are one person; L-6 has no email; erin is a customer
    assert people == [("crm_record_id", 1, 1, 0, 0), ("email", 2, 3, 2, 1)]
    exclusions = {reason: (records, people) for reason, records, people in _rows(
        small.url, "select exclusion_reason, records, people from audit.people_exclusions")}
    assert exclusions == {"test": (1, 1), "internal": (1, 1), "spam": (1, 1),
                          "competitor": (1, 1), "no email": (0, 0), "deleted": (0, 0),
                          "deleted deal": (0, 0)}
    problems, totals = _reconcile(small)
    assert problems == []
    assert totals == (7, 3, 4, 0, 1, "competitor 1, internal 1, spam 1, test 1", 1)
    money = _rows(small.url, """
        select count(*), sum(amount_reporting), sum(closed_revenue_reporting)
        from audit.opportunities""")[0]
    assert money == (2, 17000.50, 12000.50)
    won = _rows(small.url, """
        select to_char(won_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from audit.opportunities
        where outcome = 'won'""")
    assert won == [("2024-03-28 00:00",)]  # a close date only: that day


def test_the_gate_sees_a_mismatch_in_the_exclusion_counts(small):
    with psycopg.connect(small.url, autocommit=True) as conn:
        conn.execute("update audit.people_exclusions set people = people + 1 "
                     "where exclusion_reason = 'spam'")
    try:
        problems, _ = _reconcile(small)
        assert [p[0] for p in problems] == ["people_exclusions: spam people 2 in the mart, "
                                            "1 in raw"]
    finally:
        with psycopg.connect(small.url, autocommit=True) as conn:
            conn.execute("update audit.people_exclusions set people = people - 1 "
                         "where exclusion_reason = 'spam'")


@pytest.mark.parametrize("name", ["funnel", "small"])
def test_the_gate_contract_rules_hold_with_and_without_emails(request, name: str) -> None:
    """The gate's people rules (waterfall order, MQL and SQL rules, exclusions) find nothing to
    fail: the MQL rule is checked per identity key, and a flagged anomaly is not a failure."""
    built = request.getfixturevalue(name)
    assert {"stages_in_waterfall_order", "mql_rule", "sql_rule"} <= set(built.rules)
    for check, query in built.rules.items():
        rows = _rows(built.url, query.replace("{batch}", "audit.dim_people").replace("\\:", ":"))
        assert rows == [], check


def test_a_deleted_lead_or_deal_is_excluded_and_counted(deletions):
    # L-6's "maybe" is no yes/no value: quarantined, naming the row, field, column and value
    assert deletions.loaded["leads"].rows_loaded == 6
    assert deletions.loaded["leads"].rows_quarantined == 1
    assert deletions.loaded["deals"].rows_loaded == 4
    quarantined = _rows(deletions.url, """
        select line_number, reason from ops.quarantine where source = 'csv_crm__leads'""")
    assert quarantined == [(7, 'is_deleted: column "deleted" value "maybe" is not a yes/no '
                               "value (true/false, yes/no, y/n, t/f or 1/0, any case; empty "
                               "for no value)")]
    # ana (L-1 live, L-4 deleted) and eve stay; L-2 (yes) and L-3 (deleted_on alone) are
    # deleted people; L-5, a test address also deleted, counts as test
    people = _rows(deletions.url, """
        select crm_record_id, current_stage from audit.dim_people order by 1""")
    assert people == [("L-1", "opportunity"), ("L-7", "customer")]  # D-1 is open
    exclusions = {reason: (records, people) for reason, records, people in _rows(
        deletions.url, "select exclusion_reason, records, people from audit.people_exclusions")}
    assert exclusions == {"test": (1, 1), "internal": (0, 0), "spam": (0, 0),
                          "competitor": (0, 0), "no email": (0, 0), "deleted": (2, 2),
                          "deleted deal": (1, 0)}  # D-3 (L-1's); D-4's lead is deleted
    problems, totals = _reconcile(deletions)
    assert problems == []
    # raw people 5 (ana, bo, cy, test1, eve) = 2 counted + 1 excluded + 2 deleted
    assert totals[:4] == (5, 2, 1, 2)
    # D-3 (deleted) is not L-1's deal though created first; D-4's lead is deleted
    money = _rows(deletions.url, """
        select string_agg(opportunity_id, ',' order by opportunity_id), sum(amount_reporting),
            sum(closed_revenue_reporting)
        from audit.opportunities""")[0]
    assert money == ("D-1,D-2", 1500, 500)


def test_a_yes_no_cell_is_validated_with_its_file_row_and_field():
    mapping = load_mapping(FIXTURES / "crm_deletions" / "mapping.yml")
    for cell, deleted in (("yes", True), ("Y", True), ("TRUE", True), ("1", True),
                          ("no", False), ("n", False), ("False", False), ("0", False),
                          ("", None)):
        record, issues = map_row(mapping, "deals", {
            "id": "D", "stage": "Open", "deleted": cell})
        assert issues == [] and record["is_deleted"] is deleted, cell
    report = crm_report.validate(FIXTURES / "crm_deletions" / "mapping.yml", {
        "leads": FIXTURES / "crm_deletions" / "leads.csv",
        "deals": FIXTURES / "crm_deletions" / "deals.csv"})
    text = report.render()
    assert not report.ok
    assert "leads.csv" in text and "7 rows: 6 ok, 1 with issues" in text
    assert "is_deleted" in text and '"maybe"' in text and "line 7" in text
