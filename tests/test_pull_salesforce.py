"""The Salesforce pull (simple-salesforce, Bulk API 2.0 queryAll, HTTPS with a test CA) against
its loopback fake: the file drop's raw rows (each row's last change of its day: the API has no
earlier state), results read by locator, and the failure modes: a failing job, 429, 5xx, a
timeout, an expired session refreshed, an empty day, a new field reported as drift."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from pull_support import (
    CONFIG,
    START,
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
from revwh.ingest.pull import salesforce as pull_salesforce
from revwh.ingest.pull.runner import pull
from revwh.simulate.fakes import salesforce as fake_salesforce
from revwh.simulate.fakes.auth import FAKE_CLIENT_ID, FAKE_CLIENT_KEY, FAKE_REFRESH, FAKE_SESSION
from revwh.simulate.fakes.server import TestCA
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("salesforce")
DAYS = [START + timedelta(days=n) for n in range(CONFIG.days)]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("salesforce-sim"), CONFIG)


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def fake(store, ca):
    with fake_salesforce.build(store, ca.server_context()) as server:
        yield server


def _pull(fake, ca, landing, first=START, days=1, sources=SOURCES, **extra):
    start, end = interval(first, days)
    creds = {"host": fake.url, "access_token": FAKE_SESSION, "ca_bundle": str(ca.ca_file),
             **extra}
    return pull("salesforce", start, end, creds, str(landing), sources)


def _end_of_day_state(rows: list[bytes]) -> list[bytes]:
    latest: dict[str, tuple[str, bytes]] = {}
    for row in rows:
        record = orjson.loads(row)
        stamp = record.get("SystemModstamp") or record.get("CreatedDate") or ""
        if record["Id"] not in latest or stamp >= latest[record["Id"]][0]:
            latest[record["Id"]] = (stamp, row)
    return sorted(row for _, row in latest.values())


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, ca, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")  # must not be read
    _pull(fake, ca, tmp_path, START, CONFIG.days)
    compared: dict[str, int] = {}
    for source in SOURCES:
        for day in DAYS:
            from_files, from_pull, _ = load_both(conn, source, day, store.root, tmp_path)
            assert from_pull == _end_of_day_state(from_files), f"{source.key} {day}"
            compared[source.key] = compared.get(source.key, 0) + len(from_pull)
    assert compared["salesforce__lead"] > 20 and compared["salesforce__user"] > 0
    assert all(job["fields"] for job in fake.salesforce.jobs.values())
    assert fake.url.startswith("https://")


def test_results_are_read_by_locator_to_the_last_page(fake, ca, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    monkeypatch.setattr(pull_salesforce, "PAGE", 3)
    lead = ALL["salesforce__lead"]
    busiest = max(DAYS, key=lambda d: len(store.text("salesforce", "lead", d) or ""))
    _pull(fake, ca, tmp_path, busiest, 1, [lead])
    pages = [p for _, p, _ in fake.log if "/results" in p]
    assert len(pages) > 2 and any("locator=3" in p for p in pages)
    from_files, from_pull, _ = load_both(conn, lead, busiest, store.root, tmp_path)
    assert from_pull == _end_of_day_state(from_files)


@pytest.mark.parametrize("page_size", [None, 3], ids=["one-page", "pages"])
def test_results_cut_off_mid_page_are_rewound_and_read_again(fake, ca, store, tmp_path, conn,
                                                             monkeypatch, caplog, page_size):
    """A results page streams into the day's file as it arrives: a connection dropped half-way
    through a page (the first, with its CSV header, or a later one) leaves no partial row and
    no duplicate once that page is read again."""
    fast_policy(monkeypatch)
    if page_size:
        monkeypatch.setattr(pull_salesforce, "PAGE", page_size)
    lead = ALL["salesforce__lead"]
    busiest = max(DAYS, key=lambda d: len(store.text("salesforce", "lead", d) or ""))
    # the first page's answer cut inside its CSV header, or the second's (locator=3: a header
    # of about 300 bytes the pull skips, then three rows of about 330) inside its second row
    fake.fail("locator=3" if page_size else "/results", 200,
              cut_after=900 if page_size else 100)
    _pull(fake, ca, tmp_path, busiest, 1, [lead])
    retried = [r.getMessage() for r in caplog.records if "status connection" in r.getMessage()]
    assert len(retried) == 1 and "/results" in retried[0], retried  # read again, once
    pages = [p for _, p, _ in fake.log if "/results" in p]
    assert len(pages) == len(set(pages)) + 1
    from_files, from_pull, loaded = load_both(conn, lead, busiest, store.root, tmp_path)
    assert len(from_pull) > 3 and from_pull == _end_of_day_state(from_files)
    # every row of the landed file once, none torn (a torn row is quarantined)
    assert (loaded.rows_in_file, loaded.rows_quarantined) == (len(from_pull), 0)


def test_a_failed_job_is_started_again_and_one_that_keeps_failing_fails(fake, ca, tmp_path,
                                                                        monkeypatch):
    fast_policy(monkeypatch)
    lead = [ALL["salesforce__lead"]]
    fake.salesforce.fail_jobs("Failed", "Aborted")
    _pull(fake, ca, tmp_path, sources=lead)
    assert len(fake.salesforce.jobs) == 3
    fake.salesforce.fail_jobs(*["Failed"] * 10)
    with pytest.raises(PullFailed, match=r"salesforce: jobs/query \(Lead\) for .* status Failed"):
        _pull(fake, ca, tmp_path / "again", sources=lead)
    assert landed_files(tmp_path / "again") == []


def test_429_5xx_and_a_timeout_then_success(fake, ca, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/jobs/query", 429, headers={"Retry-After": "4"}, method="POST")
    fake.fail("/results", 503)
    fake.fail("/describe", 0, delay=1.0)
    _pull(fake, ca, tmp_path, sources=[ALL["salesforce__lead"]])
    assert waits[0] == 0.01 and 4.0 in waits and len([w for w in waits if w == 0.01]) >= 2


def test_an_expired_session_is_refreshed(fake, ca, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.salesforce.sessions.clear()
    _pull(fake, ca, tmp_path, sources=[ALL["salesforce__lead"]], refresh_token=FAKE_REFRESH,
          client_id=FAKE_CLIENT_ID, client_secret=FAKE_CLIENT_KEY)
    assert any(p.startswith("/services/oauth2/token") for _, p, _ in fake.log)


def test_an_expired_session_without_refresh_fails_and_lands_nothing(fake, ca, tmp_path,
                                                                    monkeypatch):
    fast_policy(monkeypatch)
    fake.salesforce.sessions.clear()
    with pytest.raises(PullFailed, match="status 401"):
        _pull(fake, ca, tmp_path, sources=[ALL["salesforce__lead"]])
    assert landed_files(tmp_path) == []


def test_an_untrusted_certificate_is_refused(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    start, end = interval(START, 1)
    with pytest.raises(PullFailed):
        pull("salesforce", start, end, {"host": fake.url, "access_token": FAKE_SESSION},
             str(tmp_path), [ALL["salesforce__lead"]])


def test_an_empty_day_and_a_new_field(fake, ca, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    fake.salesforce.extra_fields["Lead"] = {"Partner_Tier__c": "Gold"}
    before = START - timedelta(days=1)
    lead = ALL["salesforce__lead"]
    _pull(fake, ca, tmp_path, before, 2, [lead])
    assert load_file(conn, lead, before, locate(lead, before, str(tmp_path)).url
                     ).rows_loaded == 0
    result = load_file(conn, lead, START, locate(lead, START, str(tmp_path)).url)
    assert result.new_fields == ("Partner_Tier__c",) and result.rows_loaded > 0
