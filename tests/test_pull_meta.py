"""The Meta pull (facebook-business, async insights report runs) against its loopback fake: the
file drop's raw rows, and the failure modes: a report run that fails or is skipped, throttling
with the usage headers, 5xx, a timeout, an expired token, an empty day, drift."""

from __future__ import annotations

import json
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
from revwh.ingest.pull.runner import pull
from revwh.simulate.company import META
from revwh.simulate.fakes import meta as fake_meta
from revwh.simulate.fakes.auth import FAKE_BEARER
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("meta_ads")
DAYS = [START + timedelta(days=n) for n in range(CONFIG.days)]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("meta-sim"), CONFIG)


@pytest.fixture
def fake(store):
    with fake_meta.build(store) as server:
        yield server


def _pull(fake, landing, first=START, days=2, **extra):
    start, end = interval(first, days)
    creds = {"host": fake.url, "access_token": FAKE_BEARER, "account_id": META.account_id,
             **extra}
    return pull("meta_ads", start, end, creds, str(landing), SOURCES)


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, tmp_path, START, CONFIG.days)
    compared = assert_same_raw_rows(conn, "meta_ads", store.root, tmp_path, DAYS)
    assert all(compared.get(s.key, 0) > 0 for s in SOURCES), compared
    runs = [p for m, p, _ in fake.log if m == "POST"]
    assert len(runs) == CONFIG.days + 3  # one async report run per day, the lookback's too


def test_a_failed_or_skipped_report_run_is_started_again(fake, tmp_path, conn, store,
                                                        monkeypatch):
    fast_policy(monkeypatch)
    fake.meta.fail_jobs("Job Failed", "Job Skipped")
    _pull(fake, tmp_path, START, 1)
    assert len([p for m, p, _ in fake.log if m == "POST"]) == 4 + 2
    assert_same_raw_rows(conn, "meta_ads", store.root, tmp_path, [START])


def test_a_report_run_that_keeps_failing_fails_the_pull(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.meta.fail_jobs(*["Job Failed"] * 10)
    with pytest.raises(PullFailed, match=r"meta_ads: act_\d+/insights \(async report run\) "
                                         r"for .* status Job Failed"):
        _pull(fake, tmp_path)
    assert landed_files(tmp_path) == []


def test_throttling_waits_for_the_usage_headers_estimate(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    usage = json.dumps({META.account_id: [{"type": "ads_insights", "call_count": 100,
                                           "estimated_time_to_regain_access": 2}]})
    body = json.dumps({"error": {"message": "User request limit reached", "code": 17,
                                 "type": "OAuthException"}}).encode()
    fake.fail("/insights", 400, body=body, headers={"x-business-use-case-usage": usage},
              method="POST")
    fake.fail("/campaigns", 500)
    fake.fail("/adsets", 0, delay=1.0)
    _pull(fake, tmp_path, START, 1)
    assert waits[0] == 120.0  # two minutes, as the header said
    assert len([w for w in waits if w == 0.01]) >= 2  # the 500 and the timeout backed off


def test_an_expired_token_fails_naming_it_and_lands_nothing(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.meta.valid_tokens.clear()
    with pytest.raises(PullFailed, match=r"code 190"):
        _pull(fake, tmp_path)
    assert landed_files(tmp_path) == []


def test_an_empty_day_and_drift(fake, store, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    with_new_field(monkeypatch, "ads_insights", "video_play_actions")
    before = START - timedelta(days=1)
    _pull(fake, tmp_path, before, 2)
    source = ALL["meta_ads__ads_insights"]
    assert load_file(conn, source, before, locate(source, before, str(tmp_path)).url
                     ).rows_loaded == 0
    result = load_file(conn, source, START, locate(source, START, str(tmp_path)).url)
    assert result.new_fields == ("video_play_actions",) and result.rows_loaded > 0
