"""The nightly DAG through Airflow (dag.test: Airflow's task runner and a real metadata
database) on demo extracts and a real PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from revwh.simulate.company import Company, SimConfig
from revwh.simulate.fakes.auth import FAKE_BEARER
from revwh.simulate.writers import write_extracts

DAYS = [date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 3)]
MARTS = ("daily_channel_performance", "dim_people")


def _airflow_env() -> dict[str, str]:
    from revwh.ops.airflow_env import airflow_env

    return {**os.environ, **airflow_env()}


def run_day(day: date, landing: Path) -> subprocess.CompletedProcess:
    env = {**_airflow_env(), "LANDING_URL": str(landing)}
    return subprocess.run([sys.executable, "-m", "revwh.ops.dagrun", day.isoformat()], env=env,
                          capture_output=True, text=True, timeout=600)


def marts_checksum(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return {mart: conn.execute(
            f"select count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|'"
            f" order by t::text)), '') from marts.{mart} t").fetchone()[0] for mart in MARTS}


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def landing(warehouse: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("landing")
    write_extracts(Company(SimConfig(start=DAYS[0], days=len(DAYS), seed=11, scale=0.3,
                                     mess=False)), folder)
    migrate = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
                             env=_airflow_env(), capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return folder


@pytest.fixture(scope="module")
def first_day(landing: Path, warehouse: str) -> dict[str, str]:
    before = digest(landing)
    result = run_day(DAYS[0], landing)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert digest(landing) == before, "a run modified landed files"
    return marts_checksum(warehouse)


def _truth(landing: Path, name: str) -> list[dict]:
    with open(landing / "_truth" / name) as handle:
        return list(csv.DictReader(handle))


def test_a_demo_day_matches_what_the_generator_wrote(first_day, landing: Path, warehouse: str):
    day = DAYS[0].isoformat()
    expected: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for row in _truth(landing, "spend.csv"):  # every platform, spend in the reporting currency
        if row["date"] == day:
            channel = "paid_search" if row["platform"] == "google_ads" else "paid_social"
            expected[channel]["spend"] += Decimal(row["spend_usd"])
            for key in ("clicks", "impressions"):
                expected[channel][key] += Decimal(row[key])
    for figures in expected.values():
        figures["spend"] = figures["spend"].quantize(Decimal("0.01"))
    for row in _truth(landing, "sessions_daily.csv"):
        if row["date"] == day:
            expected[row["channel"]]["sessions"] += int(row["sessions"])
    for row in _truth(landing, "people.csv"):
        if row["inquiry_at"][:10] == day:
            expected[row["first_touch_channel"]]["leads"] += 1
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute(
            "select channel, spend, clicks, impressions, sessions, leads"
            " from marts.daily_channel_performance where date_day = %s", (DAYS[0],)).fetchall()
        published = {r[0] for r in conn.execute("select mart from ops.publish_log")}
        audited = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'audit'")}
    mart = {r[0]: dict(zip(("spend", "clicks", "impressions", "sessions", "leads"), r[1:],
                           strict=True)) for r in rows}
    assert set(mart) == set(expected)
    for channel, figures in expected.items():
        for key in ("spend", "clicks", "impressions", "sessions", "leads"):
            assert mart[channel][key] == figures[key], (channel, key)
    assert sum(m["leads"] for m in mart.values()) > 0
    assert published == audited >= set(MARTS)  # every audited mart was published


def test_rerunning_a_day_gives_identical_marts(first_day, landing: Path, warehouse: str):
    with psycopg.connect(warehouse) as conn:
        raw_before = conn.execute("select count(*) from raw_ga4.events").fetchone()[0]
    result = run_day(DAYS[0], landing)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert "Run summary for [2026-09-01T00:00:00+00:00, 2026-09-02T00:00:00+00:00)" in (
        result.stdout + result.stderr)
    assert marts_checksum(warehouse) == first_day
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw_ga4.events").fetchone()[0] == raw_before


def _bad_delivery(landing: Path, tmp_path: Path) -> Path:
    """A copy of the landing folder to corrupt: the real landed files stay untouched."""
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    return copy


def test_a_failed_build_keeps_the_published_marts(first_day, landing: Path, warehouse: str,
                                                  tmp_path: Path):
    """A lifecycle stage the lead definition contract does not map fails the dbt build (test
    mapped_by_contract on int_hubspot__contacts_current): nothing is published."""
    bad = _bad_delivery(landing, tmp_path)
    path = bad / "hubspot/contacts/dt=2026-09-02/contacts.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[0]["properties"]["lifecyclestage"] = "hot_prospect"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run_day(DAYS[1], bad)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "mapped_by_contract" in output and "lifecycle_stage" in output
    assert marts_checksum(warehouse) == first_day
    with psycopg.connect(warehouse) as conn:
        published = conn.execute("select count(*) from ops.publish_log where interval_start"
                                 " = %s", (DAYS[1],)).fetchone()[0]
    assert published == 0


def test_a_missing_extract_fails_the_run_and_publishes_nothing(first_day, landing: Path,
                                                                warehouse: str, tmp_path: Path):
    bad = _bad_delivery(landing, tmp_path)
    missing = bad / "ga4/events/dt=2026-09-03/events_20260903.jsonl"
    missing.unlink()
    result = run_day(DAYS[2], bad)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (f"ga4__events: no extract for 2026-09-03: expected events_20260903.jsonl "
            f"(or events_20260903.jsonl.gz) in {bad}/ga4/events/dt=2026-09-03") in output
    assert marts_checksum(warehouse) == first_day


def test_a_failed_pull_fails_the_run_and_publishes_nothing(first_day, landing: Path,
                                                          warehouse: str, tmp_path: Path,
                                                          monkeypatch):
    """HubSpot pulled from an API that does not answer: the pull fails naming the platform,
    endpoint, status and day, lands nothing, and the run publishes nothing."""
    bad = _bad_delivery(landing, tmp_path)
    monkeypatch.setenv("REVWH_PULL_HUBSPOT", "api")
    monkeypatch.setenv("AIRFLOW_CONN_REVWH_HUBSPOT", json.dumps(
        {"conn_type": "http", "host": "http://127.0.0.1:9", "password": FAKE_BEARER}))
    monkeypatch.setenv("REVWH_PULL_ATTEMPTS", "2")
    monkeypatch.setenv("REVWH_PULL_BACKOFF_SECONDS", "0.01")
    before = digest(bad)
    result = run_day(DAYS[2], bad)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("hubspot: crm/v3/objects/contacts/search for 2026-09-03 failed with status "
            "connection") in output
    assert digest(bad) == before  # nothing landed, not even a staged file
    assert marts_checksum(warehouse) == first_day
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from ops.publish_log where interval_start = %s",
                            (DAYS[2],)).fetchone()[0] == 0


def test_the_bi_role_reads_the_published_marts_and_nothing_else(first_day, warehouse: str):
    """Set up by the run itself: every published mart readable as the BI role, the rest not."""
    from psycopg import sql

    from revwh.warehouse.access import bi_url

    with psycopg.connect(warehouse) as conn:
        marts = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'")]
    assert set(MARTS) <= set(marts)
    with psycopg.connect(bi_url(warehouse), autocommit=True) as bi:
        for mart in marts:
            bi.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", mart)))
        for table in (("audit", "dim_people"), ("ops", "quarantine"), ("raw_ga4", "events"),
                      ("staging", "stg_ga4__events")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(sql.SQL("select 1 from {} limit 1").format(sql.Identifier(*table)))
