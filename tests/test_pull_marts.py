"""The whole warehouse, pulled: every platform pulled from its fake (the simulated company),
loaded and built by dbt gives the same marts, row for row (mart checksums of the audit schema,
which the publish copies), as the file drop of the same simulated days; with either CRM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pull_support import fast_policy

from revwh.core.config import PULL_PLATFORMS
from revwh.core.sources import SOURCES, enabled_sources
from revwh.ingest.extract import locate
from revwh.ingest.load import load_file
from revwh.ingest.pull.runner import pull
from revwh.publish.checksums import differing_marts, mart_checksums, mart_differences
from revwh.simulate.company import SimConfig
from revwh.simulate.fakes.store import SimStore
from revwh.simulate.fakes.suite import FakeSuite
from revwh.transform.dbt_runner import run_dbt
from revwh.warehouse.connection import connect

CONFIG = SimConfig(start=datetime(2026, 9, 1).date(), days=4, seed=5, scale=0.2)


def _load(url: str, landing) -> None:
    with connect(url) as conn:
        for source in enabled_sources().values():
            for offset in range(CONFIG.days):
                day = CONFIG.start + timedelta(days=offset)
                landed = locate(source, day, str(landing), required=False)
                if landed is not None:
                    load_file(conn, source, day, landed.url)
        conn.commit()


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_pulled_marts_equal_the_file_drops(crm, database_factory, tmp_path_factory,
                                           monkeypatch):
    fast_policy(monkeypatch)
    monkeypatch.setenv("CRM", crm)
    store = SimStore(tmp_path_factory.mktemp("marts-sim"), CONFIG)
    pulled = tmp_path_factory.mktemp("marts-pulled")
    start = datetime.combine(CONFIG.start, datetime.min.time(), UTC)
    with FakeSuite(store, tmp_path_factory.mktemp("marts-ca")) as suite:
        for platform in PULL_PLATFORMS:
            sources = [s for s in SOURCES.values() if s.platform == platform]
            pull(platform, start, start + timedelta(days=CONFIG.days),
                 suite.credentials(platform), str(pulled), sources)
    dropped_url = database_factory(f"marts_dropped_{crm}")
    pulled_url = database_factory(f"marts_pulled_{crm}")
    _load(dropped_url, store.root)
    _load(pulled_url, pulled)
    run_dbt(["build"], url=dropped_url)
    run_dbt(["build"], url=pulled_url)
    dropped, from_pull = (mart_checksums(dropped_url, "audit"),
                          mart_checksums(pulled_url, "audit"))
    assert len(dropped) >= 10
    differ = differing_marts(dropped, from_pull)
    assert differ == [], mart_differences(dropped_url, pulled_url, differ, "audit")

