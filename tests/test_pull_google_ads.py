"""The Google Ads pull (google-ads, SearchStream over gRPC with TLS) against its loopback fake:
the file drop's raw rows, and the failure modes: RESOURCE_EXHAUSTED with a retry_delay,
UNAVAILABLE, a deadline exceeded, a missing developer token, an empty day, drift."""

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
    load_both,
    sources_of,
)

from revwh.core.errors import PullFailed
from revwh.core.sources import SOURCES as ALL
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull.runner import pull
from revwh.simulate.company import GOOGLE
from revwh.simulate.fakes import google_ads as fake_google_ads
from revwh.simulate.fakes.auth import FAKE_DEVELOPER
from revwh.simulate.fakes.server import TestCA
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("google_ads")
DAYS = [START + timedelta(days=n) for n in range(CONFIG.days)]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("google-ads-sim"), CONFIG)


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def fake(store, ca):
    server = fake_google_ads.build(store, ca)
    yield server
    server.stop()


def _pull(fake, ca, landing, first=START, days=1, sources=SOURCES, **extra):
    start, end = interval(first, days)
    creds = {"host": fake.endpoint, "developer_token": FAKE_DEVELOPER,
             "customer_id": GOOGLE.account_id, "ca_bundle": str(ca.ca_file), **extra}
    return pull("google_ads", start, end, creds, str(landing), sources)


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, ca, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, ca, tmp_path, START, CONFIG.days)
    compared = assert_same_raw_rows(conn, "google_ads", store.root, tmp_path, DAYS)
    assert compared["google_ads__ad_stats"] > 50 and compared["google_ads__campaign_history"]
    assert all("segments.date = '" in q for q in fake.calls if "FROM ad_group_ad" in q)


def test_resource_exhausted_waits_for_the_retry_delay(fake, ca, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.exhaust(1, seconds=42)
    fake.fail(1)
    _pull(fake, ca, tmp_path, sources=[ALL["google_ads__campaign_stats"]])
    assert waits == [42.0, 0.02]  # the retry_delay asked for, then the back-off of try 2
    assert len(landed_files(tmp_path)) == 4  # the day and its lookback


def test_a_deadline_exceeded_is_retried(fake, ca, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.stall(1.0)
    _pull(fake, ca, tmp_path, sources=[ALL["google_ads__campaign_stats"]])
    assert len(waits) == 1


def test_a_stream_cut_off_half_way_is_rewound_and_read_again(fake, ca, store, tmp_path, conn,
                                                            monkeypatch):
    """The stream's rows go to the day's file as they arrive: a stream reset after its first
    batch leaves neither those rows twice nor a gap once the day is streamed again."""
    waits = fast_policy(monkeypatch)
    monkeypatch.setattr(fake_google_ads, "BATCH", 5)
    ad_stats = ALL["google_ads__ad_stats"]
    fake.cut(after_batches=2)
    _pull(fake, ca, tmp_path, sources=[ad_stats])
    assert len(waits) == 1  # the reset stream was retried once
    from_files, from_pull, loaded = load_both(conn, ad_stats, START, store.root, tmp_path)
    assert len(from_pull) > 10  # more than the two batches streamed before the reset
    assert from_pull == from_files
    assert (loaded.rows_in_file, loaded.rows_quarantined) == (len(from_pull), 0)


def test_quota_exhausted_for_longer_fails_naming_it(fake, ca, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.exhaust(10, seconds=1)
    with pytest.raises(PullFailed, match=r"google_ads: GoogleAdsService.SearchStream \(campaign\)"
                                         r" for .* status RESOURCE_EXHAUSTED"):
        _pull(fake, ca, tmp_path, sources=[ALL["google_ads__campaign_stats"]])
    assert landed_files(tmp_path) == []


def test_a_refused_call_fails_at_once(fake, ca, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    with pytest.raises(PullFailed, match="UNAUTHENTICATED"):
        _pull(fake, ca, tmp_path, sources=[ALL["google_ads__campaign_stats"]],
              developer_token=FAKE_DEVELOPER + "-revoked")
    assert waits == []


def test_an_empty_day_and_drift(fake, ca, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    original = SimStore.records

    def records(self, platform, entity, day):
        for record in original(self, platform, entity, day):
            yield {**record, "campaign_budget": {"amount_micros": "250000000"}} \
                if entity == "campaign_stats" else record

    monkeypatch.setattr(SimStore, "records", records)
    before = START - timedelta(days=1)
    source = ALL["google_ads__campaign_stats"]
    _pull(fake, ca, tmp_path, before, 2, [source])
    assert load_file(conn, source, before, locate(source, before, str(tmp_path)).url
                     ).rows_loaded == 0
    result = load_file(conn, source, START, locate(source, START, str(tmp_path)).url)
    assert result.new_fields == ("campaign_budget",) and result.rows_loaded > 0
