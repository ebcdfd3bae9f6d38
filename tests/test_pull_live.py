"""Opt-in: each platform's pull against its real (sandbox) account, then the loader on what it
landed. Run with `pytest -m live tests/test_pull_live.py`; a platform's test skips unless its
Airflow Connection is set, e.g. AIRFLOW_CONN_REVWH_LINKEDIN_ADS='{"conn_type": "http", ...}'
(docs/sources.md lists each Connection's fields). REVWH_LIVE_DAY picks the day (default: the
day before yesterday, UTC); lookbacks are off so that one day is pulled."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from revwh.core.config import PULL_PLATFORMS, pull_conn_id
from revwh.core.sources import SOURCES
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull.runner import pull
from revwh.ops.connections import credentials

pytestmark = pytest.mark.live


def _day() -> date:
    configured = os.environ.get("REVWH_LIVE_DAY")
    return date.fromisoformat(configured) if configured else \
        datetime.now(UTC).date() - timedelta(days=2)


@pytest.mark.parametrize("platform", PULL_PLATFORMS)
def test_live_pull_lands_what_the_loader_loads(platform, conn, tmp_path, monkeypatch):
    variable = f"AIRFLOW_CONN_{pull_conn_id(platform).upper()}"
    if not os.environ.get(variable):
        pytest.skip(f"{variable} is not set")
    monkeypatch.setenv(f"LOOKBACK_DAYS_{platform.upper()}", "0")
    day = _day()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    sources = [s for s in SOURCES.values() if s.platform == platform]
    landed = pull(platform, start, start + timedelta(days=1), credentials(platform),
                  str(tmp_path), sources)
    assert {f["source"] for f in landed} == {s.key for s in sources}
    for source in sources:
        result = load_file(conn, source, day, locate(source, day, str(tmp_path)).url)
        assert result.rows_quarantined == 0, (source.key, result)
