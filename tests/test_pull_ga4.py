"""The GA4 pull (google-cloud-bigquery list_rows of events_YYYYMMDD, no query job) against a
loopback BigQuery fake: the file drop's raw rows (late events included: the lookback re-reads
the export's restated days), and the failure modes: 429, 5xx, a timeout, a missing table, an
empty day, a new field reported as drift."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pull_support import (
    CONFIG,
    START,
    assert_same_raw_rows,
    fast_policy,
    interval,
    landed_files,
    sources_of,
    with_new_field,
)

from revwh.core.errors import PullFailed
from revwh.core.sources import SOURCES as ALL
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull import ga4 as pull_ga4
from revwh.ingest.pull.runner import pull
from revwh.simulate.fakes import bigquery as fake_bigquery
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("ga4")
DAYS = [START + timedelta(days=n) for n in range(CONFIG.days)]
EVENTS = ALL["ga4__events"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("ga4-sim"), CONFIG)


@pytest.fixture(scope="module")
def server(store):
    with fake_bigquery.build(store) as server:
        yield server


@pytest.fixture
def fake(server):
    yield server
    server.faults.clear()
    server.log.clear()


def _pull(fake, landing, first=START, days=2):
    start, end = interval(first, days)
    creds = {"host": fake.url, "project": "acme-analytics", "dataset": "analytics_313370001"}
    return pull("ga4", start, end, creds, str(landing), SOURCES)


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch, timeout=3)
    monkeypatch.setattr(pull_ga4, "PAGE", 500)  # several pages a day
    _pull(fake, tmp_path, START, CONFIG.days)
    compared = assert_same_raw_rows(conn, "ga4", store.root, tmp_path, DAYS)
    assert compared["ga4__events"] > 1000
    assert not any("/queries" in p or "/jobs" in p for _, p, _ in fake.log)  # no query job
    assert any("pageToken=500" in p for _, p, _ in fake.log)


def test_a_lookback_day_is_read_again_when_the_export_rewrote_it(fake, store, tmp_path,
                                                                  monkeypatch):
    fast_policy(monkeypatch, timeout=3)
    _pull(fake, tmp_path, START, 1)
    unchanged = _pull(fake, tmp_path, START + timedelta(days=1), 1)
    assert [f["day"] for f in unchanged] == [(START + timedelta(days=1)).isoformat()]
    assert sum("events_20260901/data" in p for _, p, _ in fake.log) == 1  # not read again
    with_new_field(monkeypatch, "events", "is_late")  # the export rewrote the table
    fake.bigquery.rewrite("events_20260901")
    fake.bigquery.forget()  # every table rendered again, with the new field
    landed = _pull(fake, tmp_path, START + timedelta(days=1), 1)
    monkeypatch.undo()
    fake.bigquery.forget()
    restated = [f for f in landed if f["day"] == START.isoformat()]
    assert restated[0]["status"] == "version"
    fake.bigquery.modified.clear()


def test_429_5xx_and_a_timeout_then_success(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch, timeout=2)  # a day's page is ~1 MB here
    fake.fail("/tables/events_20260901/data", 429, headers={"Retry-After": "5"})
    fake.fail("/tables/events_20260902", 503)
    fake.fail("/tables/events_20260902/data", 0, delay=3.0)
    _pull(fake, tmp_path)
    assert 5.0 in waits and len(waits) >= 3
    assert len(landed_files(tmp_path)) == 2


def test_a_missing_table_is_skipped_in_the_lookback_and_fails_in_the_interval(
        fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch, timeout=3)
    _pull(fake, tmp_path, START, 1)  # lookback days before the export began: no tables
    assert len(landed_files(tmp_path)) == 1
    with pytest.raises(PullFailed, match=r"ga4: tables/events_20260911 for 2026-09-11 .*404"):
        _pull(fake, tmp_path / "later", START + timedelta(days=10), 1)
    assert landed_files(tmp_path / "later") == []


def test_an_empty_day_and_drift(fake, store, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch, timeout=3)
    from revwh.simulate.fakes.store import SimStore as Store

    original = Store.records

    def records(self, platform, entity, day):
        if day == START + timedelta(days=1):
            return iter(())
        return ({**r, "consent_mode_v3": "x"} for r in original(self, platform, entity, day))

    monkeypatch.setattr(Store, "records", records)
    fake.bigquery.forget()  # rendered again from the changed records
    _pull(fake, tmp_path)
    monkeypatch.setattr(Store, "records", original)
    fake.bigquery.forget()
    empty = START + timedelta(days=1)
    assert load_file(conn, EVENTS, empty, locate(EVENTS, empty, str(tmp_path)).url
                     ).rows_loaded == 0
    result = load_file(conn, EVENTS, START, locate(EVENTS, START, str(tmp_path)).url)
    assert result.new_fields == ("consent_mode_v3",) and result.rows_loaded > 0
