"""Ground truth for the spend metrics: audit.ad_performance_daily against the simulated
company's own spend, FX rates and campaign rename (45 days with mess: restatements, an empty
Meta day, DST; see the `metrics_warehouse` fixture)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from revwh.simulate.ads import RENAMED_CAMPAIGN, campaign_name, rename_day
from revwh.simulate.company import ADS

CENT = Decimal("0.01")
MART = "audit.ad_performance_daily"


def _truth(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="") as handle:
        return list(csv.DictReader(handle))


def _query(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def truth_spend(metrics_warehouse) -> list[dict[str, str]]:
    return _truth(metrics_warehouse.truth, "spend.csv")


@pytest.fixture(scope="module")
def mart_rows(metrics_warehouse) -> list[dict]:
    with psycopg.connect(metrics_warehouse.url) as conn:
        cursor = conn.execute(f"select * from {MART}")
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _ad_day(platform: str, account_id: str, day: date | str, ad_id: str) -> tuple:
    return platform, account_id, str(day), ad_id


def test_spend_per_platform_and_day_matches_truth(truth_spend, mart_rows):
    expected: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0])
    for row in truth_spend:
        totals = expected[(row["platform"], row["date"])]
        totals[0] += Decimal(row["spend_usd"])
        totals[1] += Decimal(row["spend"])
        totals[2] += int(row["clicks"])
        totals[3] += int(row["impressions"])
    actual: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0])
    for row in mart_rows:
        totals = actual[(row["platform"], str(row["spend_date"]))]
        totals[0] += row["spend"]
        totals[1] += row["spend_original"]
        totals[2] += row["clicks"]
        totals[3] += row["impressions"]

    assert {platform for platform, _ in expected} == {"google_ads", "meta_ads", "linkedin_ads"}
    assert set(actual) == set(expected)
    for key, (spend_usd, spend, clicks, impressions) in sorted(expected.items()):
        got = actual[key]
        assert got[0].quantize(CENT) == spend_usd.quantize(CENT), f"USD spend of {key}"
        assert got[1] == spend, f"spend in account currency of {key}"
        assert (got[2], got[3]) == (clicks, impressions), f"clicks, impressions of {key}"
    assert {row["currency"] for row in mart_rows} == {"USD"}
    # the non-USD accounts really are converted, not passed through
    assert {row["account_currency"] for row in mart_rows} == {"USD", "EUR", "GBP"}


def test_every_truth_ad_day_has_exactly_one_mart_row(truth_spend, mart_rows):
    mart_keys = Counter(_ad_day(r["platform"], r["account_id"], r["spend_date"], r["ad_id"])
                        for r in mart_rows)
    truth_keys = Counter(_ad_day(r["platform"], r["account_id"], r["date"], r["ad_id"])
                         for r in truth_spend)
    assert [key for key, n in mart_keys.items() if n > 1] == []
    assert set(truth_keys) - set(mart_keys) == set(), "truth rows missing from the mart"
    assert set(mart_keys) - set(truth_keys) == set(), "mart rows the truth does not have"

    by_key = {_ad_day(r["platform"], r["account_id"], r["spend_date"], r["ad_id"]): r
              for r in mart_rows}
    for row in truth_spend:
        got = by_key[_ad_day(row["platform"], row["account_id"], row["date"], row["ad_id"])]
        assert got["group_id"] == row["group_id"]
        if row["platform"] != "linkedin_ads":  # LinkedIn's campaign level is the campaign group
            assert got["campaign_id"] == row["campaign_id"]
        assert got["account_currency"] == row["currency"]
        assert got["spend_original"] == Decimal(row["spend"])
        # not rounded per row: as exact as the truth's six decimals
        assert abs(got["spend"] - Decimal(row["spend_usd"])) <= Decimal("0.000001")
        assert got["channel"] == ("paid_search" if row["platform"] == "google_ads"
                                  else "paid_social")


def test_weekend_uses_fridays_rate(metrics_warehouse, mart_rows):
    per_eur = {(r["date"], r["currency"]): Decimal(r["per_eur"])
               for r in _truth(metrics_warehouse.truth, "fx_rates.csv")}
    rates: dict[tuple[date, str], set[Decimal]] = defaultdict(set)
    for row in mart_rows:
        rates[(row["spend_date"], row["account_currency"])].add(row["fx_rate"])
    assert all(len(found) == 1 for found in rates.values()), "one rate per day and currency"

    checked = 0
    for (day, currency), (rate,) in sorted(rates.items()):
        if day.weekday() < 5 or currency == "USD":
            continue
        friday = day - timedelta(days=day.weekday() - 4)
        monday = friday + timedelta(days=3)
        from_truth = per_eur[(str(friday), "USD")] / per_eur[(str(friday), currency)]
        assert abs(rate - from_truth) < Decimal("1e-12"), f"{currency} on {day}"
        if (friday, currency) in rates:
            assert rates[(friday, currency)] == {rate}
        if (monday, currency) in rates:  # the rates move: a Monday rate would not pass
            assert rates[(monday, currency)] != {rate}
        checked += 1
    assert checked >= 10

    # the daily rate table says where each weekend rate came from
    saturday = date(2026, 9, 5)
    filled = _query(metrics_warehouse.url,
                    "select rate_date, is_forward_filled from intermediate.int_fx_rates__daily"
                    " where date_day = %s and currency_code = 'GBP'", (saturday,))
    assert filled == [(date(2026, 9, 4), True)]


def test_renamed_campaign_names_as_of_day_and_current(metrics_warehouse, mart_rows):
    company = metrics_warehouse.company
    renamed = rename_day(company)
    assert renamed is not None
    ad = next(ad for ad in ADS if ad.campaign_id == RENAMED_CAMPAIGN)
    old_name = campaign_name(company, ad, renamed - timedelta(days=1))
    new_name = campaign_name(company, ad, renamed)
    assert old_name != new_name

    rows = [r for r in mart_rows
            if r["platform"] == "google_ads" and r["campaign_id"] == RENAMED_CAMPAIGN]
    before = {r["campaign_name"] for r in rows if r["spend_date"] < renamed}
    after = {r["campaign_name"] for r in rows if r["spend_date"] >= renamed}
    assert before == {old_name}
    assert after == {new_name}
    assert {r["campaign_name_current"] for r in rows} == {new_name}
    # campaigns never renamed keep one name
    others = [r for r in mart_rows if r["campaign_id"] != RENAMED_CAMPAIGN]
    assert all(r["campaign_name"] == r["campaign_name_current"] for r in others)
    assert all(r["campaign_name"] for r in mart_rows)


def test_meta_conversions_count_each_lead_once(truth_spend, mart_rows):
    truth = {_ad_day(r["platform"], r["account_id"], r["date"], r["ad_id"]): int(r["conversions"])
             for r in truth_spend if r["platform"] == "meta_ads"}
    got = {_ad_day(r["platform"], r["account_id"], r["spend_date"], r["ad_id"]):
           r["platform_conversions"] for r in mart_rows if r["platform"] == "meta_ads"}
    assert sum(truth.values()) > 0
    assert got == truth
