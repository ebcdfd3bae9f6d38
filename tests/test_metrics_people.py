"""The people model recovers the simulated company's truth: one row per real person, excluded
records out, and each stage of the waterfall entered by the right people."""

from __future__ import annotations

import csv
from datetime import datetime

import psycopg
import pytest


def _truth_people(truth) -> list[dict]:
    with open(truth / "people.csv") as handle:
        return list(csv.DictReader(handle))


def _counted(truth) -> list[dict]:
    """The people the contract counts: not test, internal or spam, not a second record."""
    return [p for p in _truth_people(truth)
            if p["is_test"] == p["is_internal"] == p["is_spam"] == "False"
            and not p["duplicate_of"]]


@pytest.fixture(scope="module")
def people(metrics_warehouse) -> list[dict]:
    with psycopg.connect(metrics_warehouse.url) as conn, conn.cursor() as cur:
        cur.execute("select * from audit.dim_people")
        columns = [c.name for c in cur.description]
        return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def test_one_row_per_real_person(metrics_warehouse, people):
    truth = _counted(metrics_warehouse.truth)
    assert len(people) == len(truth)
    assert len({p["person_id"] for p in people}) == len(people)


def test_duplicates_and_excluded_records_are_not_counted(metrics_warehouse):
    with psycopg.connect(metrics_warehouse.url) as conn:
        reasons = dict(conn.execute(
            "select exclusion_reason, count(*) from intermediate.int_people__records"
            " where exclusion_reason is not null group by 1").fetchall())
    truth = _truth_people(metrics_warehouse.truth)
    assert reasons.get("test", 0) == sum(p["is_test"] == "True" for p in truth)
    assert reasons.get("internal", 0) == sum(p["is_internal"] == "True" for p in truth)
    assert reasons.get("spam", 0) == sum(p["is_spam"] == "True" for p in truth)


@pytest.mark.parametrize("stage", ["mql", "sal", "sql", "opportunity", "customer"])
def test_stage_counts_match_the_truth(metrics_warehouse, people, stage):
    """Exact: the simulated CRM records every stage change, and the contract's rules are the
    simulator's (MQL: score >= 60 or a demo request; sales-created leads never MQLs)."""
    truth = _counted(metrics_warehouse.truth)
    horizon = datetime.fromisoformat("2026-10-16T00:00:00+00:00")
    if stage == "opportunity":
        with open(metrics_warehouse.truth / "opportunities.csv") as handle:
            expected = sum(1 for o in csv.DictReader(handle))
    elif stage == "customer":
        with open(metrics_warehouse.truth / "opportunities.csv") as handle:
            expected = sum(1 for o in csv.DictReader(handle) if o["outcome"] == "won")
    else:
        expected = sum(1 for p in truth if p[f"{stage}_at"]
                       and datetime.fromisoformat(p[f"{stage}_at"]) < horizon)
    assert sum(1 for p in people if p[f"{stage}_at"] is not None) == expected


def test_no_one_enters_a_stage_before_an_earlier_one(people):
    order = ["inquiry_at", "mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at"]
    for person in people:
        moments = [person[k] for k in order if person[k] is not None]
        assert moments == sorted(moments), person["person_id"]


def test_the_same_people_from_salesforce(metrics_warehouse, people, monkeypatch):
    """The simulated company's Salesforce tells the same story as its HubSpot: with CRM=salesforce
    the people and every stage count come out the same."""
    from revwh.transform.dbt_runner import run_dbt

    monkeypatch.setenv("CRM", "salesforce")
    run_dbt(["build", "--select", "+dim_people"], url=metrics_warehouse.url)
    try:
        with psycopg.connect(metrics_warehouse.url) as conn:
            counts = conn.execute(
                "select count(*), count(mql_at), count(sal_at), count(sql_at),"
                " count(opportunity_at), count(customer_at), min(crm)"
                " from audit.dim_people").fetchone()
    finally:
        # back to HubSpot, every model: a partial rebuild drops the views downstream of it
        monkeypatch.setenv("CRM", "hubspot")
        run_dbt(["run"], url=metrics_warehouse.url)
    stages = ("mql_at", "sal_at", "sql_at", "opportunity_at", "customer_at")
    expected = (len(people), *(sum(p[s] is not None for p in people) for s in stages),
                "salesforce")
    assert counts == expected


def test_first_touch_channel_is_the_true_one(metrics_warehouse):
    """Identity stitching: each person's first tracked touch is their true first touch."""
    truth = {p["email"].strip().lower(): p for p in _counted(metrics_warehouse.truth)}
    with psycopg.connect(metrics_warehouse.url) as conn:
        rows = conn.execute(
            "select r.email_key, d.first_touch_channel, d.first_touch_campaign"
            " from audit.dim_people d join intermediate.int_people__records r"
            " on d.crm_record_id = r.record_id").fetchall()
    assert len(rows) == len(truth)
    wrong = [(email, channel, truth[email]["first_touch_channel"]) for email, channel, _ in rows
             if channel != truth[email]["first_touch_channel"]]
    assert wrong == []
    campaigns = [(email, campaign) for email, _, campaign in rows
                 if (campaign or "") != truth[email]["first_touch_campaign"]
                 and truth[email]["first_touch_channel"].startswith("paid")]
    assert campaigns == []
