"""Parallel runs (a backfill) share one warehouse: the build lease keeps one run at a time in the
audit schema from its dbt build to its publish, and loads of the same partition take turns."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import psycopg
import pytest

from revwh.core.sources import SOURCES
from revwh.ingest.load import load_file
from revwh.publish import marts
from revwh.warehouse import lease


def test_one_run_at_a_time_holds_the_lease(conn: psycopg.Connection):
    lease.release(conn, "run_a")
    lease.release(conn, "run_b")
    assert lease.claim(conn, "run_a") is None
    assert lease.claim(conn, "run_a") is None  # a cleared task claims again: still its own
    assert lease.claim(conn, "run_b") == "run_a"  # waits
    assert not lease.release(conn, "run_b")  # cannot give back what it does not hold
    assert lease.holder(conn) == "run_a"
    with conn.transaction():
        lease.require(conn, "run_a", "audit")
        with pytest.raises(lease.LeaseLost, match="run_b does not hold the build lease"):
            lease.require(conn, "run_b", "publish")
    assert lease.release(conn, "run_a")
    assert lease.holder(conn) is None
    assert lease.claim(conn, "run_b") is None
    assert lease.release(conn, "run_b")


def test_an_abandoned_claim_is_taken_over(conn: psycopg.Connection,
                                          monkeypatch: pytest.MonkeyPatch):
    assert lease.claim(conn, "run_dead") is None
    assert lease.claim(conn, "run_next") == "run_dead"
    monkeypatch.setenv("BUILD_LEASE_STALE_MINUTES", "0")
    assert lease.claim(conn, "run_next") is None
    assert lease.release(conn, "run_next")


def test_publish_of_a_run_without_the_lease_publishes_nothing(warehouse: str,
                                                              conn: psycopg.Connection):
    conn.execute("create schema if not exists audit")
    conn.execute("drop table if exists audit.lease_probe")
    conn.execute("create table audit.lease_probe as select 1 as n")
    conn.commit()
    day = datetime(2026, 9, 1, tzinfo=UTC)
    assert lease.claim(conn, "run_owner") is None
    with pytest.raises(lease.LeaseLost):
        marts.publish("run_other", day, day, url=warehouse, marts=["lease_probe"],
                        require_lease=True)
    assert conn.execute("select to_regclass('marts.lease_probe')").fetchone()[0] is None
    assert marts.publish("run_owner", day, day, url=warehouse, marts=["lease_probe"],
                           require_lease=True) == {"lease_probe": 1}
    assert lease.release(conn, "run_owner")
    conn.execute("drop table marts.lease_probe")
    conn.execute("drop table audit.lease_probe")
    conn.commit()


def test_loads_of_the_same_partition_at_once_take_turns(warehouse: str, tmp_path):
    """One run loads the day as its own while another reloads it for its lookback window."""
    source = SOURCES["google_ads__campaign_stats"]
    day = date(2026, 8, 15)
    path = tmp_path / "campaign_stats.jsonl"
    record = ('{"customer":{"id":"1","currency_code":"USD"},"campaign":{"id":"%d"},'
              '"segments":{"date":"2026-08-15"},"metrics":{"cost_micros":"1000"}}\n')
    path.write_text("".join(record % n for n in range(5000)))
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def load() -> None:
        try:
            with psycopg.connect(warehouse) as own:
                barrier.wait()
                load_file(own, source, day, str(path))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(warehouse) as check:
        rows = check.execute("select count(*) from raw_google_ads.campaign_stats"
                             " where _partition_date = %s", (day,)).fetchone()[0]
    assert rows == 5000
