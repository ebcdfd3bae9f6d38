"""The DAG's pull step (revwh.ops.pipeline.pull_platform): a file drop pulls nothing, an API
pull takes its credentials from the platform's Airflow Connection (here AIRFLOW_CONN_*) and
lands files the extract step finds; a missing Connection fails naming it."""

from __future__ import annotations

import json

import pytest
from pull_support import CONFIG, RUN_START, fast_policy, interval

from revwh.core.errors import PullFailed
from revwh.ops.pipeline import extract_platform, pull_platform
from revwh.simulate.fakes import ecb as fake_ecb
from revwh.simulate.fakes.store import SimStore

MARKER = "not-needed-but-kept-out-of-logs"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> SimStore:
    return SimStore(tmp_path_factory.mktemp("pipeline-sim"), CONFIG)


def test_a_file_drop_pulls_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv("REVWH_PULL_ECB", raising=False)
    assert pull_platform("ecb", *interval(), landing_url=str(tmp_path)) is None
    assert list(tmp_path.iterdir()) == []


def test_an_api_pull_uses_the_connection_and_feeds_the_extract(store, monkeypatch, tmp_path,
                                                                caplog):
    fast_policy(monkeypatch)
    monkeypatch.setenv("REVWH_PULL_ECB", "api")
    with fake_ecb.build(store) as fake:
        monkeypatch.setenv("AIRFLOW_CONN_REVWH_ECB", json.dumps(
            {"conn_type": "http", "host": fake.url, "password": MARKER}))
        landed = pull_platform("ecb", *interval(), landing_url=str(tmp_path))
    assert [f["status"] for f in landed] == ["new", "new"]
    files = extract_platform("ecb", *interval(), landing_url=str(tmp_path))
    assert [f["day"] for f in files] == [RUN_START.isoformat(),
                                         (RUN_START.replace(day=RUN_START.day + 1)).isoformat()]
    assert MARKER not in caplog.text


def test_a_missing_connection_fails_naming_it(monkeypatch, tmp_path):
    monkeypatch.setenv("REVWH_PULL_HUBSPOT", "api")
    monkeypatch.delenv("AIRFLOW_CONN_REVWH_HUBSPOT", raising=False)
    with pytest.raises(PullFailed, match="revwh_hubspot"):
        pull_platform("hubspot", *interval(), landing_url=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
