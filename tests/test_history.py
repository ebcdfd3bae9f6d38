"""History without false successes: an export two years old loads through `revwh history`
(the nightly's extract and loader, built once, audited as a range, published), and a run of a
day before the DAG's first day (REVWH_START_DATE) fails, naming the setting."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from revwh.core.config import START_DATE_SETTING, start_date
from revwh.core.errors import AuditFailed
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts

FIRST = date(2024, 10, 1)  # two years before the suite's days (2026), before the first day
DAYS = 16


def _line_count(path: Path) -> int:
    if path.suffix == ".csv":
        with open(path, newline="") as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


@pytest.fixture(scope="module")
def export(warehouse: str, database_factory, tmp_path_factory: pytest.TempPathFactory):
    """An export two years old (clean: its truth is exact) and a database of its own."""
    landing = tmp_path_factory.mktemp("history-landing")
    write_extracts(Company(SimConfig(start=FIRST, days=DAYS, seed=5, scale=0.15, mess=False)),
                   landing, crm="hubspot")
    return landing, database_factory("revwh_test_history")


@pytest.fixture(scope="module")
def loaded(export, tmp_path_factory: pytest.TempPathFactory):
    from revwh.ops import history

    landing, url = export
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", "REVWH_HOME")}
    os.environ.update({"WAREHOUSE_URL": url,
                       "REVWH_HOME": str(tmp_path_factory.mktemp("history-home"))})
    try:
        result = history.load_history(FIRST, FIRST + timedelta(days=DAYS - 1),
                                      landing_url=str(landing), workers=2)
        yield landing, url, result
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_an_export_two_years_old_is_before_the_first_day():
    assert start_date() > FIRST + timedelta(days=DAYS + 365)


def test_history_loads_every_landed_row(loaded):
    landing, url, result = loaded
    from revwh.core.sources import enabled_sources

    expected: dict[str, int] = defaultdict(int)
    for source in enabled_sources().values():
        for offset in range(DAYS):
            day = FIRST + timedelta(days=offset)
            folder = landing / source.partition_path(day)
            files = sorted(folder.glob("*")) if folder.exists() else []
            assert len(files) <= 1, files  # a clean export: one pull a day
            for path in files:
                expected[source.key] += _line_count(path)
    assert result.files == sum(1 for s in enabled_sources().values() for o in range(DAYS)
                               if (landing / s.partition_path(FIRST + timedelta(o))).exists())
    assert {k: v for k, v in expected.items() if v} == {
        k: result.rows_loaded[k] + result.rows_quarantined[k] for k in result.rows_loaded}
    assert sum(result.rows_quarantined.values()) == 0
    assert result.rows_loaded["ga4__events"] > 10_000
    with psycopg.connect(url) as conn:
        manifest = dict(conn.execute(
            "select source, sum(rows_loaded) from ops.load_manifest group by 1").fetchall())
        days = conn.execute("select min(_partition_date), max(_partition_date),"
                            " count(distinct _partition_date) from raw_ga4.events").fetchone()
    assert manifest == result.rows_loaded
    assert days == (FIRST, FIRST + timedelta(days=DAYS - 1), DAYS)


def test_history_builds_once_audits_the_range_and_publishes(loaded):
    landing, url, result = loaded
    run_id = f"history__{FIRST}__{FIRST + timedelta(days=DAYS - 1)}"
    assert result.run_id == run_id
    assert result.audit["checks"] == result.audit["passed"] > 40
    with psycopg.connect(url) as conn:
        log = dict(conn.execute("select mart, rows_published from ops.publish_log"
                                " where run_id = %s", (run_id,)).fetchall())
        audited = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'audit'")}
        published_days = conn.execute(
            "select min(date_day), max(date_day), count(distinct date_day)"
            " from marts.daily_channel_performance").fetchone()
        checks = conn.execute("select count(*), count(*) filter (where success),"
                              " min(interval_start)::date, max(interval_end)::date"
                              " from ops.audit_results where run_id = %s", (run_id,)).fetchone()
        sessions = conn.execute(
            "select coalesce(sum(sessions), 0) from marts.daily_channel_performance").fetchone()[0]
        spend = dict(conn.execute(
            "select platform, sum(spend) from marts.ad_performance_daily group by 1").fetchall())
        people = conn.execute("select count(*) from marts.dim_people").fetchone()[0]
        lease = conn.execute("select holder from ops.build_lease").fetchone()[0]
    assert log == result.published and set(log) == audited  # every audited mart, once
    assert published_days == (FIRST, FIRST + timedelta(days=DAYS - 1), DAYS)
    assert checks == (result.audit["checks"], result.audit["checks"], FIRST,
                      FIRST + timedelta(days=DAYS))
    assert lease is None  # released
    with open(landing / "_truth" / "sessions_daily.csv") as handle:
        truth_sessions = sum(int(r["sessions"]) for r in csv.DictReader(handle))
    with open(landing / "_truth" / "spend.csv") as handle:
        truth_spend: dict[str, Decimal] = defaultdict(Decimal)
        truth_rows: dict[str, int] = defaultdict(int)
        for row in csv.DictReader(handle):
            truth_spend[row["platform"]] += Decimal(row["spend_usd"])
            truth_rows[row["platform"]] += 1
    with open(landing / "_truth" / "people.csv") as handle:
        truth_people = sum(1 for _ in csv.DictReader(handle))
    assert sessions == truth_sessions
    assert set(spend) == set(truth_spend)
    for platform, total in truth_spend.items():
        # converted at the day's ECB rate and rounded per row: within a cent a row
        assert abs(spend[platform] - total) <= Decimal("0.01") * truth_rows[platform], platform
    assert 0 < people <= truth_people


def test_the_range_audit_checks_each_days_volume(loaded):
    """The audit of a range checks each day's rows against the band learned from the days
    before it, as the nightly's per-day check does: a day with too few rows fails it."""
    from revwh.gate.runner import run_audit

    _, url, _ = loaded
    last = FIRST + timedelta(days=DAYS - 1)
    keep = "(select min(channel) from audit.daily_channel_performance where date_day = %(day)s)"
    with psycopg.connect(url) as conn:
        conn.execute("create table audit._saved_day as select * from"
                     " audit.daily_channel_performance where date_day = %(day)s"
                     f" and channel <> {keep}", {"day": last})
        conn.execute("delete from audit.daily_channel_performance where date_day = %(day)s"
                     f" and channel <> {keep}", {"day": last})
    try:
        start = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC)
        with pytest.raises(AuditFailed) as failed:
            run_audit(start, start + timedelta(days=DAYS), "test_history_volume", url,
                      range_batches=True)
        message = str(failed.value)
        assert "volume__daily_channel_performance" in message and str(last) in message
        assert "volume__ad_performance_daily" not in message
    finally:
        with psycopg.connect(url) as conn:
            conn.execute("insert into audit.daily_channel_performance"
                         " select * from audit._saved_day")
            conn.execute("drop table audit._saved_day")


def test_history_whose_audit_fails_publishes_nothing(loaded):
    """A range that claims days the export does not have: the ad marts lack them, the audit's
    freshness check fails, and the published marts stay exactly as they were."""
    from revwh.ops import history
    from revwh.publish.checksums import mart_checksums

    landing, url, _ = loaded
    os.environ["WAREHOUSE_URL"] = url  # the module fixture's, restored by it
    before = mart_checksums(url)
    last = FIRST + timedelta(days=DAYS + 2)
    with pytest.raises(AuditFailed, match=r"nothing was published[\s\S]*freshness__"):
        history.load_history(FIRST, last, landing_url=str(landing), workers=2)
    assert mart_checksums(url) == before
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from ops.publish_log where run_id = %s",
                            (history.run_id_for(FIRST, last),)).fetchone()[0] == 0
        assert conn.execute("select holder from ops.build_lease").fetchone()[0] is None


def test_revwh_run_refuses_a_day_before_the_first_day(capsys):
    from revwh.ops import cli

    assert cli.main(["run", "--start", FIRST.isoformat()]) == 1
    err = capsys.readouterr().err
    assert START_DATE_SETTING in err and "FAILED" in err and "success" not in err
    assert f"revwh history --start {FIRST}" in err


def test_the_dag_fails_a_run_of_a_day_before_the_first_day(warehouse, airflow_db_factory,
                                                          tmp_path: Path):
    """Triggered anyway (dag.test, as an API trigger or a backfill would): the run has its
    tasks, its first task fails naming the setting, and nothing is loaded."""
    from revwh.ops.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(), "LANDING_URL": str(tmp_path),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db_factory("revwh_test_af_history")}
    result = subprocess.run([sys.executable, "-m", "revwh.ops.dagrun", FIRST.isoformat()],
                            env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-3000:]
    assert "RUN_STATE=failed" in out
    assert "BeforeFirstDay" in out and START_DATE_SETTING in out
    with psycopg.connect(warehouse) as conn:  # nothing was loaded for that day
        if conn.execute("select to_regclass('ops.load_manifest')").fetchone()[0] is not None:
            assert conn.execute("select count(*) from ops.load_manifest"
                                " where partition_date = %s", (FIRST,)).fetchone()[0] == 0


def test_the_first_day_is_a_setting(monkeypatch):
    from revwh.core.errors import BeforeFirstDay
    from revwh.ops.pipeline import check_interval

    start = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC)
    with pytest.raises(BeforeFirstDay, match=f"{START_DATE_SETTING}.*revwh history"):
        check_interval(start, start + timedelta(days=1))
    monkeypatch.setenv(START_DATE_SETTING, FIRST.isoformat())
    assert check_interval(start, start + timedelta(days=1)) == [FIRST.isoformat()]
    monkeypatch.setenv(START_DATE_SETTING, "1 October")
    with pytest.raises(ValueError, match=START_DATE_SETTING):
        start_date()
