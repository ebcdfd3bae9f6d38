"""The HubSpot pull (hubspot-api-client) against its loopback fake: search then batch read with
propertiesWithHistory gives the file drop's raw rows (a record's state at the end of its day:
the API has no earlier states), a search past the result cap is split, and the failure modes."""

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
    with_new_field,
)

from revwh.core.errors import PullFailed
from revwh.core.sources import SOURCES as ALL
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull import hubspot as pull_hubspot
from revwh.ingest.pull.runner import pull
from revwh.simulate.fakes import hubspot as fake_hubspot
from revwh.simulate.fakes.auth import FAKE_BEARER, FAKE_CLIENT_ID, FAKE_CLIENT_KEY, FAKE_REFRESH
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("hubspot")
DAYS = [START + timedelta(days=n) for n in range(CONFIG.days)]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("hubspot-sim"), CONFIG)


@pytest.fixture
def fake(store):
    with fake_hubspot.build(store) as server:
        yield server


def _pull(fake, landing, first=START, days=CONFIG.days, **extra):
    start, end = interval(first, days)
    creds = {"host": fake.url, "access_token": FAKE_BEARER, **extra}
    return pull("hubspot", start, end, creds, str(landing), SOURCES)


def _end_of_day_state(rows: list[bytes]) -> list[bytes]:
    """A day's file-drop rows as the API has them: each record's last change of the day."""
    latest: dict[str, tuple[str, bytes]] = {}
    for row in rows:
        record = orjson.loads(row)
        props = record.get("properties") or {}
        stamp = props.get("lastmodifieddate") or props.get("hs_lastmodifieddate") or ""
        if record["id"] not in latest or stamp >= latest[record["id"]][0]:
            latest[record["id"]] = (stamp, row)
    return sorted(row for _, row in latest.values())


def test_pull_then_load_gives_the_file_drops_raw_rows(fake, store, tmp_path, conn,
                                                      monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, tmp_path)
    compared: dict[str, int] = {}
    for source in SOURCES:
        for day in DAYS:
            from_files, from_pull, _ = load_both(conn, source, day, store.root, tmp_path)
            if source.entity in ("contacts", "companies", "deals"):
                from_files = _end_of_day_state(from_files)
            assert from_pull == from_files, f"{source.key} {day}"
            compared[source.key] = compared.get(source.key, 0) + len(from_pull)
    assert all(compared[s.key] > 0 for s in SOURCES), compared
    searches = [p for m, p, _ in fake.log if p.endswith("/search")]
    assert len(searches) >= 3 * CONFIG.days


def test_a_search_past_the_result_cap_is_split(store, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    monkeypatch.setattr(pull_hubspot, "SEARCH_CAP", 5)
    with fake_hubspot.build(store, search_cap=5) as fake:
        _pull(fake, tmp_path)
        assert all(status != 400 for _, _, status in fake.log)
    source = ALL["hubspot__contacts"]
    busiest = max(DAYS, key=lambda d: len(list(store.records("hubspot", "contacts", d))))
    from_files, from_pull, _ = load_both(conn, source, busiest, store.root, tmp_path)
    assert len(from_pull) > 5
    assert from_pull == _end_of_day_state(from_files)


def test_without_the_split_paging_past_the_cap_fails(store, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    monkeypatch.setattr(pull_hubspot, "SEARCH_CAP", 10_000)
    with fake_hubspot.build(store, search_cap=5) as fake, \
            pytest.raises(PullFailed, match=r"hubspot: crm/v3/objects/contacts/search .*400"):
        _pull(fake, tmp_path)
    assert landed_files(tmp_path) == []


def test_429_5xx_and_a_timeout_then_success(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/search", 429, headers={"Retry-After": "10"})
    fake.fail("/batch/read", 502)
    fake.fail("/crm/v3/owners", 0, delay=1.0)
    _pull(fake, tmp_path, days=1)
    assert waits[0] == 10.0 and len(waits) == 3
    assert any("contacts.jsonl" in f for f in landed_files(tmp_path))


def test_an_expired_oauth_token_is_refreshed(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.tokens.expire(FAKE_BEARER)
    _pull(fake, tmp_path, days=1, refresh_token=FAKE_REFRESH, client_id=FAKE_CLIENT_ID,
          client_secret=FAKE_CLIENT_KEY)
    assert fake.tokens.refreshed == 1


def test_an_expired_token_without_refresh_fails_and_lands_nothing(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.tokens.expire(FAKE_BEARER)
    with pytest.raises(PullFailed, match="status 401"):
        _pull(fake, tmp_path, days=1)
    assert landed_files(tmp_path) == []


def test_an_empty_day_and_drift(fake, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    with_new_field(monkeypatch, "owners", "hs_new_owner_field")
    before = START - timedelta(days=1)
    _pull(fake, tmp_path, before, 2)
    contacts = ALL["hubspot__contacts"]
    assert load_file(conn, contacts, before, locate(contacts, before, str(tmp_path)).url
                     ).rows_loaded == 0
    owners = ALL["hubspot__owners"]
    result = load_file(conn, owners, START, locate(owners, START, str(tmp_path)).url)
    assert result.new_fields == ("hs_new_owner_field",) and result.rows_loaded > 0
