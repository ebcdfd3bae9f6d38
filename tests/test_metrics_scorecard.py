"""The weekly scorecard: its figures are the truth's, week by week, with targets from the seed."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

HORIZON = datetime.fromisoformat("2026-10-16T00:00:00+00:00")


def _week(moment: str) -> date:
    day = datetime.fromisoformat(moment).date() if "T" in moment else date.fromisoformat(moment)
    return day - timedelta(days=day.weekday())


@pytest.fixture(scope="module")
def scorecard(metrics_warehouse) -> dict[date, dict]:
    with psycopg.connect(metrics_warehouse.url) as conn, conn.cursor() as cur:
        cur.execute("select * from audit.weekly_scorecard order by week_start")
        columns = [c.name for c in cur.description]
        return {row[0]: dict(zip(columns, row, strict=True)) for row in cur.fetchall()}


def _csv(truth, name: str) -> list[dict]:
    with open(truth / name) as handle:
        return list(csv.DictReader(handle))


def test_weekly_leads_mqls_and_pipeline_are_the_truths(metrics_warehouse, scorecard):
    people = [p for p in _csv(metrics_warehouse.truth, "people.csv")
              if p["is_test"] == p["is_internal"] == p["is_spam"] == "False"
              and not p["duplicate_of"]]
    leads = Counter(_week(p["inquiry_at"]) for p in people)
    mqls = Counter(_week(p["mql_at"]) for p in people
                   if p["mql_at"] and datetime.fromisoformat(p["mql_at"]) < HORIZON)
    pipeline: dict[date, Decimal] = defaultdict(Decimal)
    for o in _csv(metrics_warehouse.truth, "opportunities.csv"):
        pipeline[_week(o["created_at"])] += Decimal(o["amount_usd"])
    for week, row in scorecard.items():
        assert row["leads"] == leads.get(week, 0), week
        assert row["mqls"] == mqls.get(week, 0), week
        assert row["pipeline"] == pipeline.get(week, 0), week
    assert sum(r["leads"] for r in scorecard.values()) == len(people)


def test_weekly_spend_is_the_truths_to_the_cent(metrics_warehouse, scorecard):
    spend: dict[date, Decimal] = defaultdict(Decimal)
    for row in _csv(metrics_warehouse.truth, "spend.csv"):
        spend[_week(row["date"])] += Decimal(row["spend_usd"])
    for week, amount in spend.items():
        assert round(scorecard[week]["spend"], 2) == round(amount, 2), week


def test_week_over_week_changes_and_targets(metrics_warehouse, scorecard):
    weeks = sorted(scorecard)
    for previous, current in zip(weeks, weeks[1:], strict=False):
        assert scorecard[current]["leads_wow_change"] == (
            scorecard[current]["leads"] - scorecard[previous]["leads"])
    assert scorecard[weeks[0]]["leads_wow_change"] is None
    seed = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "scorecard_targets.csv"
    with open(seed) as handle:
        expected = {r["metric"]: Decimal(r["weekly_target"]) for r in csv.DictReader(handle)}
    for row in scorecard.values():
        assert row["mqls_target"] == expected["mqls"]
        assert row["cac_target"] == expected["cac"]
        if row["mqls"]:
            assert float(row["mql_to_sql_rate"]) == pytest.approx(float(row["sqls"] / row["mqls"]))


def test_channel_efficiency_is_the_truths(metrics_warehouse):
    """Per channel: spend to the cent, MQLs and sourced pipeline exactly, costs as their ratios."""
    spend: dict[str, Decimal] = defaultdict(Decimal)
    channel_of = {"google_ads": "paid_search", "meta_ads": "paid_social",
                  "linkedin_ads": "paid_social"}
    for row in _csv(metrics_warehouse.truth, "spend.csv"):
        spend[channel_of[row["platform"]]] += Decimal(row["spend_usd"])
    people = [p for p in _csv(metrics_warehouse.truth, "people.csv")
              if p["is_test"] == p["is_internal"] == p["is_spam"] == "False"
              and not p["duplicate_of"]]
    mqls = Counter(p["first_touch_channel"] for p in people
                   if p["mql_at"] and datetime.fromisoformat(p["mql_at"]) < HORIZON)
    pipeline: dict[str, Decimal] = defaultdict(Decimal)
    for o in _csv(metrics_warehouse.truth, "opportunities.csv"):
        pipeline[o["first_touch_channel"]] += Decimal(o["amount_usd"])
    with psycopg.connect(metrics_warehouse.url) as conn, conn.cursor() as cur:
        cur.execute("select * from audit.channel_efficiency where breakdown = 'channel'")
        columns = [c.name for c in cur.description]
        rows = {r[1]: dict(zip(columns, r, strict=True)) for r in cur.fetchall()}
    for channel, amount in spend.items():
        assert round(rows[channel]["spend"], 2) == round(amount, 2), channel
    for channel, row in rows.items():
        assert row["mqls"] == mqls.get(channel, 0), channel
        assert row["sourced_pipeline"] == pipeline.get(channel, 0), channel
        if row["mqls"] and row["spend"]:  # without spend a cost is undefined (null)
            assert row["cost_per_mql"] == pytest.approx(row["spend"] / row["mqls"])
        else:
            assert row["cost_per_mql"] is None
