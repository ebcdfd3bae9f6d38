"""The ECB pull (httpx, SDMX csvdata) against its loopback fake: the same files and raw rows as
the file drop, and the retry policy's failure modes (no PullFailed may leave a file behind)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pull_support import (
    CONFIG,
    RUN_START,
    fast_policy,
    interval,
    landed_files,
    load_both,
    sources_of,
)

from revwh.core.errors import PullFailed
from revwh.ingest.pull.runner import pull
from revwh.simulate.fakes import ecb as fake_ecb
from revwh.simulate.fakes.store import SimStore

SOURCES = sources_of("ecb")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("ecb-sim"), CONFIG)


@pytest.fixture
def fake(store):
    with fake_ecb.build(store) as server:
        yield server


def _pull(fake, landing: Path, days: int = 2):
    start, end = interval(RUN_START, days)
    return pull("ecb", start, end, {"host": fake.url}, str(landing), SOURCES)


def test_pull_lands_the_file_drop_byte_for_byte(fake, store, tmp_path, conn, monkeypatch):
    fast_policy(monkeypatch)
    landed = _pull(fake, tmp_path, days=4)  # Friday 4 Sep .. Monday 7 Sep: a weekend between
    assert [f["status"] for f in landed] == ["new"] * 4
    for offset in range(4):
        day = RUN_START + timedelta(days=offset)
        name = f"ecb/fx_rates/dt={day.isoformat()}/eurofxref.csv"
        assert (tmp_path / name).read_bytes() == (store.root / name).read_bytes()
        from_files, from_pull, _ = load_both(conn, SOURCES[0], day, store.root, tmp_path)
        assert from_files == from_pull and len(from_pull) == 1


def test_a_second_pull_of_the_same_rates_lands_nothing_new(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    _pull(fake, tmp_path)
    again = _pull(fake, tmp_path)
    assert {f["status"] for f in again} == {"unchanged"}
    assert len(landed_files(tmp_path)) == 2


def test_429_with_retry_after_is_honoured(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/service/data/EXR", 429, headers={"Retry-After": "7"})
    _pull(fake, tmp_path)
    assert waits == [7.0]
    assert len(landed_files(tmp_path)) == 2


def test_5xx_then_success_backs_off(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/service/data/EXR", 503, times=2)
    _pull(fake, tmp_path)
    assert waits == [0.01, 0.02]
    assert len(landed_files(tmp_path)) == 2


def test_a_timeout_is_retried(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/service/data/EXR", 0, delay=1.0)  # longer than the 0.5 s timeout
    _pull(fake, tmp_path)
    assert len(waits) == 1
    assert len(landed_files(tmp_path)) == 2


def test_a_failed_pull_names_what_failed_and_lands_nothing(fake, tmp_path, monkeypatch):
    fast_policy(monkeypatch)
    fake.fail("2026-09-06", 500, times=10)  # the second day fails on every try
    with pytest.raises(PullFailed) as failed:
        _pull(fake, tmp_path)
    message = str(failed.value)
    assert "ecb" in message and "service/data/EXR" in message and "500" in message
    assert "2026-09-06" in message
    assert landed_files(tmp_path) == []  # not even the first day, nor a staged file


def test_a_client_error_is_not_retried(fake, tmp_path, monkeypatch):
    waits = fast_policy(monkeypatch)
    fake.fail("/service/data/EXR", 403, times=10)
    with pytest.raises(PullFailed, match="403"):
        _pull(fake, tmp_path)
    assert waits == []
