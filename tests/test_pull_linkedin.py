"""The LinkedIn Marketing API pull (httpx) against its loopback fake: the file drop's raw rows,
and the failure modes: 429, 5xx, a timeout, an expired token refreshed, an empty day, drift,
a response cut off mid-way; a day streamed in with flat memory."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

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
from revwh.ingest.pull.linkedin import stream_elements
from revwh.ingest.pull.runner import pull
from revwh.simulate.company import LINKEDIN
from revwh.simulate.fakes import linkedin as fake_linkedin
from revwh.simulate.fakes.auth import FAKE_BEARER, FAKE_CLIENT_ID, FAKE_CLIENT_KEY, FAKE_REFRESH
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("linkedin_ads")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("linkedin-sim"), CONFIG)


@pytest.fixture
def fake(store):
    with fake_linkedin.build(store) as server:
        yield server


def _creds(fake, **extra) -> dict:
    return {"host": fake.url, "oauth_host": fake.url, "access_token": FAKE_BEARER,
            "account_id": LINKEDIN.account_id, **extra}


def _pull(fake, landing, first=START, days=2, **extra):
    start, end = interval(first, days)
    return pull("linkedin_ads", start, end, _creds(fake, **extra), str(landing), SOURCES)


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, tmp_path, START, 6)
    days = [START + timedelta(days=n) for n in range(6)]
    compared = assert_same_raw_rows(conn, "linkedin_ads", store.root, tmp_path, days)
    assert compared["linkedin_ads__ad_analytics"] >= 30
    assert compared["linkedin_ads__creatives"] > 0 and compared["linkedin_ads__campaigns"] > 0
    # one adAnalytics request per day, lookback days included, each with the version header
    analytics = [path for _, path, _ in fake.log if path.startswith("/rest/adAnalytics")]
    assert len(analytics) == 6 + 3


def test_the_lookback_days_are_pulled_again_and_a_restated_day_lands_as_a_version(
        fake, store, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, tmp_path, START, 1)
    # the platform restates the first day: its second pull (as lookback) lands beside the first
    with_new_field(monkeypatch, "ad_analytics", "restated")
    landed = _pull(fake, tmp_path, START + timedelta(days=1), 1)
    first_day = [f for f in landed if f["source"] == "linkedin_ads__ad_analytics"
                 and f["day"] == START.isoformat()]
    assert first_day[0]["status"] == "version" and "__v" in first_day[0]["url"]


def test_429_then_5xx_then_success(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/rest/adAnalytics", 429, headers={"Retry-After": "3"})
    fake.fail("/rest/adAccounts/", 502)
    _pull(fake, tmp_path)
    assert waits == [3.0, 0.01]
    assert any("ad_analytics" in f for f in landed_files(tmp_path))


def test_a_timeout_then_success(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/rest/adAnalytics", 0, delay=1.0)
    _pull(fake, tmp_path)
    assert len(waits) == 1


def test_an_expired_token_is_refreshed(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.tokens.expire(FAKE_BEARER)
    _pull(fake, tmp_path, refresh_token=FAKE_REFRESH, client_id=FAKE_CLIENT_ID,
          client_secret=FAKE_CLIENT_KEY)
    assert fake.tokens.refreshed == 1
    assert [s for _, p, s in fake.log if p.startswith("/oauth")] == [200]


def test_an_expired_token_without_refresh_fails_naming_it(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.tokens.expire(FAKE_BEARER)
    with pytest.raises(PullFailed, match=r"linkedin_ads: rest/adAnalytics for .* status 401"):
        _pull(fake, tmp_path)
    assert landed_files(tmp_path) == []


def test_an_empty_day_lands_an_empty_file_that_loads_nothing(fake, tmp_path, conn,
                                                              monkeypatch):
    fast_policy(monkeypatch)
    before = START - timedelta(days=1)  # the simulated company did not advertise yet
    _pull(fake, tmp_path, START, 1)
    source = ALL["linkedin_ads__ad_analytics"]
    landed = locate(source, before, str(tmp_path))
    assert landed.size == 0
    assert load_file(conn, source, before, landed.url).rows_loaded == 0


def test_a_new_field_is_drift_not_a_failure(fake, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    with_new_field(monkeypatch, "ad_analytics", "videoViews")
    _pull(fake, tmp_path, START, 1)
    source = ALL["linkedin_ads__ad_analytics"]
    result = load_file(conn, source, START, locate(source, START, str(tmp_path)).url)
    assert result.new_fields == ("videoViews",) and result.rows_loaded > 0


def test_a_response_cut_off_mid_day_is_rewound_and_pulled_again(fake, store, tmp_path,
                                                                 monkeypatch):
    """The day streams into its file element by element: a connection dropped half-way leaves
    no partial element and no duplicate once the day is requested again."""
    waits = fast_policy(monkeypatch)
    day = START + timedelta(days=3)
    expected = list(store.records("linkedin_ads", "ad_analytics", day))
    assert len(expected) >= 3 and len(json.dumps(expected)) > 900  # cut after 400 bytes
    when = f"(year:{day.year},month:{day.month},day:{day.day})"
    fake.fail(f"dateRange=(start:{when}", 200, cut_after=400)
    _pull(fake, tmp_path, day, 1)
    assert len(waits) == 1  # the cut was retried once
    cut = [s for _, p, s in fake.log if p.startswith("/rest/adAnalytics") and
           f"year:{day.year},month:{day.month},day:{day.day}" in unquote(p)]
    assert len(cut) == 2
    landed = locate(ALL["linkedin_ads__ad_analytics"], day, str(tmp_path))
    lines = [json.loads(line) for line in Path(landed.url).read_text().splitlines()]
    assert lines == expected


def test_a_day_streams_in_with_flat_memory(tmp_path):
    """stream_elements reads a 40 MB response in 64 kB chunks: its peak allocation is a small
    fraction of the body (the whole body parsed at once would need several times its size)."""
    import tracemalloc

    element = {"pivotValues": ["urn:li:sponsoredCreative:1"], "impressions": 100,
               "clicks": 3, "costInLocalCurrency": "12.34", "dateRange": {"start": {
                   "year": 2026, "month": 1, "day": 1}, "end": {"year": 2026, "month": 1,
                                                            "day": 1}}}
    one = json.dumps(element).encode()
    count = 200_000

    def chunks():
        yield b'{"paging":{},"elements":['
        batch = b",".join([one] * 500)
        for n in range(count // 500):
            yield (b"," if n else b"") + batch
        yield b"]}"

    size = sum(len(c) for c in chunks())
    assert size > 40_000_000
    tracemalloc.start()
    seen = sum(1 for _ in stream_elements(chunks()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seen == count
    assert peak < size / 20, f"peak {peak} bytes for a {size}-byte day"
