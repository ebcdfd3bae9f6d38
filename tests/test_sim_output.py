"""The simulator's output, pinned: its landing files for a small case are byte for byte what
they were before the memory work (checksums computed from the code of 697a800), and the
BigQuery fake, which now renders a table when asked and keeps only the last few, answers byte
for byte as when it rendered every table up front."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from revwh.simulate.company import Company, SimConfig
from revwh.simulate.fakes.bigquery import BigQueryFake
from revwh.simulate.fakes.store import SimStore
from revwh.simulate.writers import write_extracts

# 14 days: the malformed GA4 day (day 11) and Meta's paused day (the last) are in it
CONFIG = SimConfig(start=date(2026, 8, 10), days=14, seed=42, scale=0.1)
LANDING_SHA256 = "7a533a29333da93e67552df699951bbd5fd3a73bc945598e34725e0dd01e6fe7"
BIGQUERY_SHA256 = "1458e0d13533ba6992af0964bd03515212834a521dea632f580d7312bf810ef6"


def tree_digest(root: Path) -> str:
    """sha256 over every file's relative path and bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes()
                          + b"\0")
    return digest.hexdigest()


class _Page:
    def __init__(self, token: str) -> None:
        self.token = token

    def arg(self, key: str, default: str | None = None) -> str | None:
        return {"pageToken": self.token, "maxResults": "300"}.get(key, default)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sim-output")
    counts = write_extracts(Company(CONFIG), root)
    assert counts["ga4"] == 12893 and counts["hubspot"] == 170
    return root


def test_the_landing_files_are_byte_for_byte_the_pinned_ones(landing):
    assert sum(1 for p in landing.rglob("*") if p.is_file()) == 532
    assert tree_digest(landing) == LANDING_SHA256


def test_the_bigquery_fake_answers_as_before_and_holds_two_tables(landing):
    store = SimStore(landing)
    fake = BigQueryFake(store, "p", "ds")
    digest = hashlib.sha256()
    days = store.days("ga4", "events")
    assert len(days) == 14
    for day in days:
        table = f"events_{day:%Y%m%d}"
        digest.update(fake.table(None, "p", "ds", table).body)
        for token in ("0", "150", "600"):
            digest.update(fake.data(_Page(token), "p", "ds", table).body)
        assert len(fake.rows) <= BigQueryFake.CACHED_TABLES
    assert digest.hexdigest() == BIGQUERY_SHA256
    assert list(fake.rows) == [f"events_{d:%Y%m%d}" for d in days[-2:]]
    assert len(fake.schemas) == 14
