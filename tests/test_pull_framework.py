"""The pull's shared parts: the retry policy, the landing writer, the pull settings."""

from __future__ import annotations

from datetime import date

import pytest
from pull_support import fast_policy

from revwh.core.config import PullPolicy, pull_conn_id, pull_mode
from revwh.core.errors import PullFailed
from revwh.core.sources import SOURCES
from revwh.ingest.extract import locate
from revwh.ingest.pull import retry
from revwh.ingest.pull.landing import LandingBatch

DAY = date(2026, 9, 1)
POLICY = PullPolicy(attempts=4, timeout_seconds=1, backoff_seconds=1, max_wait_seconds=60)


def _flaky(errors: list[Exception], result: str = "ok"):
    calls = []

    def fn():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return fn, calls


def test_the_wait_asked_for_is_honoured_then_capped(monkeypatch):
    waits = fast_policy(monkeypatch)
    fn, calls = _flaky([retry.Transient(429, 7), retry.Transient(429, 3600),
                        retry.Transient(503)])
    assert retry.call(fn, platform="p", endpoint="e", policy=POLICY) == "ok"
    assert waits == [7, 60, 4]  # Retry-After; capped at the longest wait; else back-off 1, 2, 4
    assert len(calls) == 4


def test_exhausted_tries_name_platform_endpoint_status_and_day(monkeypatch):
    fast_policy(monkeypatch)
    fn, calls = _flaky([retry.Transient(503)] * 10)
    with pytest.raises(PullFailed) as failed:
        retry.call(fn, platform="meta_ads", endpoint="act_1/insights", day=DAY, policy=POLICY)
    assert str(failed.value).startswith(
        "meta_ads: act_1/insights for 2026-09-01 failed with status 503")
    assert (failed.value.platform, failed.value.status, failed.value.day) == \
        ("meta_ads", 503, DAY)
    assert len(calls) == 4


def test_other_errors_fail_at_once_without_credentials_in_the_message(monkeypatch):
    waits = fast_policy(monkeypatch)
    error = ValueError("bad request to /x?access_token=SECRET123")
    error.status = 400
    fn, calls = _flaky([error])
    with pytest.raises(PullFailed) as failed:
        retry.call(fn, platform="p", endpoint="e", policy=POLICY)
    assert "SECRET123" not in str(failed.value) and "400" in str(failed.value)
    assert (len(calls), waits) == (1, [])


def test_retry_after_headers():
    assert retry.retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry.retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    usage = '{"123": [{"type": "ads_insights", "call_count": 98, ' \
            '"estimated_time_to_regain_access": 5}]}'
    assert retry.retry_after_seconds({"X-Business-Use-Case-Usage": usage}) == 300
    assert retry.retry_after_seconds({"x-app-usage": '{"call_count": 100}'}) == 60
    assert retry.retry_after_seconds({"x-app-usage": '{"call_count": 20}'}) is None
    assert retry.retry_after_seconds({}) is None


def test_pull_settings(monkeypatch):
    monkeypatch.delenv("REVWH_PULL_HUBSPOT", raising=False)
    assert pull_mode("hubspot") == "file"  # file drop unless asked
    monkeypatch.setenv("REVWH_PULL_HUBSPOT", "API")
    assert pull_mode("hubspot") == "api"
    assert pull_mode("csv_crm") == "file"
    monkeypatch.setenv("REVWH_PULL_HUBSPOT", "ftp")
    with pytest.raises(ValueError, match="REVWH_PULL_HUBSPOT"):
        pull_mode("hubspot")
    assert pull_conn_id("google_ads") == "revwh_google_ads"
    monkeypatch.setenv("REVWH_PULL_CONN_GOOGLE_ADS", "gads_prod")
    assert pull_conn_id("google_ads") == "gads_prod"


def _land(root, records, tag):
    source = SOURCES["meta_ads__campaigns"]
    batch = LandingBatch(str(root), tag=tag)
    staged = batch.open(source, DAY)
    for record in records:
        staged.write_record(record)
    return batch


def test_a_later_pull_lands_beside_the_first_and_an_identical_one_not_at_all(tmp_path):
    source = SOURCES["meta_ads__campaigns"]
    folder = tmp_path / source.partition_path(DAY)
    assert [x.status for x in _land(tmp_path, [{"id": "1"}], "20260902T010000").commit()] == \
        ["new"]
    assert [x.status for x in _land(tmp_path, [{"id": "1"}], "20260903T010000").commit()] == \
        ["unchanged"]
    assert [x.status for x in _land(tmp_path, [{"id": "2"}], "20260904T010000").commit()] == \
        ["version"]
    assert sorted(p.name for p in folder.iterdir()) == \
        ["campaigns.jsonl", "campaigns__v20260904T010000.jsonl"]
    assert locate(source, DAY, str(tmp_path)).url.endswith("campaigns__v20260904T010000.jsonl")


def test_an_aborted_pull_leaves_nothing(tmp_path):
    batch = _land(tmp_path, [{"id": "1"}], "20260902T010000")
    batch.abort()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
