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


def test_the_week_of_the_data_end_is_partial_and_never_compared(scorecard):
    """The data run from Tuesday 1 September to Thursday 15 October 2026: the week of the data
    end (Monday 12 October) has 4 days and is labelled partial, as is the first week (6 days,
    from the Tuesday); the weeks between are complete. A week-over-week change compares two
    complete, consecutive weeks only: null for the partial weeks and for the first complete
    week (its predecessor is partial), the difference otherwise."""
    weeks = sorted(scorecard)
    assert weeks[0] == date(2026, 8, 31) and weeks[-1] == date(2026, 10, 12)
    assert [scorecard[w]["days_in_week"] for w in weeks] == [6, 7, 7, 7, 7, 7, 4]
    assert [scorecard[w]["is_complete_week"] for w in weeks] == [
        False, True, True, True, True, True, False]
    metrics = [c[:-len("_wow_change")] for c in scorecard[weeks[0]] if c.endswith("_wow_change")]
    assert len(metrics) == 14
    for week in (weeks[0], weeks[1], weeks[-1]):
        assert all(scorecard[week][f"{m}_wow_change"] is None for m in metrics), week
    for previous, current in zip(weeks[1:-2], weeks[2:-1], strict=True):
        for metric in ("spend", "leads", "mqls", "pipeline"):
            assert scorecard[current][f"{metric}_wow_change"] == (
                scorecard[current][metric] - scorecard[previous][metric]), (current, metric)
    # the partial week's 4 days of spend are not set against the full week before
    assert scorecard[weeks[-1]]["spend"] < scorecard[weeks[-2]]["spend"] * Decimal("0.7")


def _float(value):
    return None if value is None else float(value)


def _ratio(numerator, denominator):
    """The expected ratio: None for a zero denominator, else numerator / denominator (approx)."""
    return pytest.approx(float(numerator / denominator)) if denominator else None


def test_ratios_are_their_numerators_over_their_denominators(metrics_warehouse, scorecard):
    """Each ratio's numerator and denominator are columns, so BI sums them over a range; SLA:
    an MQL is met (touched within the SLA), pending (untouched, its window still open at the
    end of the data end: only MQLs of the data end's last 24 hours) or missed."""
    with psycopg.connect(metrics_warehouse.url) as conn, conn.cursor() as cur:
        cur.execute("""select date_trunc('week', mql_at)::date, count(*)
                       from audit.sales_follow_up
                       where first_sales_touch_at is null
                         and mql_at + interval '24 hours' > '2026-10-16T00:00:00+00:00'
                       group by 1""")
        pending = dict(cur.fetchall())
    assert set(pending) == {date(2026, 10, 12)}
    for week, row in scorecard.items():
        assert row["mqls_met_sla"] + row["mqls_missed_sla"] + pending.get(week, 0) == \
            row["mqls"], week
        answered = row["mqls_met_sla"] + row["mqls_missed_sla"]
        assert _float(row["sla_compliance"]) == _ratio(row["mqls_met_sla"], answered), week
        assert _float(row["cac"]) == _ratio(row["spend"], row["deals_won"]), week
        assert _float(row["win_rate"]) == _ratio(row["won_opportunities_created"],
                                                 row["closed_opportunities_created"]), week
        assert row["mqls_touched"] <= row["mqls"]
    assert sum(pending.values()) > 0
    assert sum(r["mqls_touched"] for r in scorecard.values()) > 0


def test_targets_and_mql_to_sql_rate(metrics_warehouse, scorecard):
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
