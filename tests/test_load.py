"""The loader on a real PostgreSQL: idempotent per (source, day), nothing lost."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from revwh.errors import LoadRejected
from revwh.load import load_file
from revwh.sources import SOURCES

DAY = date(2026, 9, 1)
SOURCE = SOURCES["hubspot__contacts"]


def _contact(n: int, **extra) -> str:
    record = {"id": str(n), "properties": {"createdate": "2026-09-01T10:00:00.000Z",
                                           "lastmodifieddate": "2026-09-01T10:00:00.000Z",
                                           "lifecyclestage": "lead", **extra}}
    return json.dumps(record)


def _counts(conn) -> tuple[int, int]:
    raw = conn.execute("select count(*) from raw_hubspot.contacts where _partition_date = %s",
                       (DAY,)).fetchone()[0]
    quarantined = conn.execute(
        "select count(*) from ops.quarantine where source = %s and partition_date = %s",
        (SOURCE.key, DAY)).fetchone()[0]
    return raw, quarantined


def test_reloading_a_day_replaces_it(conn, tmp_path: Path):
    path = tmp_path / "contacts.jsonl"
    path.write_text("\n".join(_contact(n) for n in range(50)) + "\n")
    first = load_file(conn, SOURCE, DAY, str(path))
    second = load_file(conn, SOURCE, DAY, str(path))
    assert (first.rows_loaded, second.rows_loaded) == (50, 50)
    assert first.sha256 == second.sha256
    assert _counts(conn) == (50, 0)
    path.write_text("\n".join(_contact(n) for n in range(30)) + "\n")
    load_file(conn, SOURCE, DAY, str(path))
    assert _counts(conn) == (30, 0)
    manifest = conn.execute(
        "select rows_in_file, rows_loaded, rows_quarantined from ops.load_manifest"
        " where file_url = %s order by loaded_at", (str(path),)).fetchall()
    assert manifest == [(50, 50, 0), (50, 50, 0), (30, 30, 0)]


def test_bad_rows_are_quarantined_with_reason_and_text(conn, tmp_path: Path):
    lines = [_contact(n) for n in range(40)]
    lines[5] = '{"id": "broken", "properties": '
    lines[9] = '{"id": "9", "properties": {"createdate": "2026-09-01"}}'
    path = tmp_path / "contacts.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "\xff"}\n')
    result = load_file(conn, SOURCE, DAY, str(path))
    assert (result.rows_in_file, result.rows_loaded, result.rows_quarantined) == (41, 38, 3)
    rows = conn.execute(
        "select line_number, reason, original_text from ops.quarantine"
        " where batch_id = %s order by line_number", (result.batch_id,)).fetchall()
    assert [r[0] for r in rows] == [6, 10, 41]
    assert rows[0][1].startswith("malformed JSON") and rows[0][2] == lines[5]
    assert "missing required field properties.lastmodifieddate" in rows[1][1]
    assert rows[2][1].startswith("not UTF-8") and "\\xff" in rows[2][2]


def test_truncated_gzip_loads_nothing_and_keeps_the_day(conn, tmp_path: Path):
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(_contact(n) for n in range(10)) + "\n")
    load_file(conn, SOURCE, DAY, str(good))
    data = gzip.compress(("\n".join(_contact(n) for n in range(2000)) + "\n").encode())
    bad = tmp_path / "contacts.jsonl.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadRejected, match=r"hubspot__contacts: .*contacts\.jsonl\.gz for "
                                           r"2026-09-01 cannot be read to the end"):
        load_file(conn, SOURCE, DAY, str(bad))
    conn.rollback()
    assert _counts(conn) == (10, 0)


def test_a_file_of_the_wrong_format_is_refused(conn, tmp_path: Path):
    path = tmp_path / "contacts.jsonl"
    path.write_text("id,email\n" + "\n".join(f"{n},a{n}@x.example" for n in range(100)) + "\n")
    with pytest.raises(LoadRejected, match="101 of 101 rows cannot be parsed"):
        load_file(conn, SOURCE, DAY, str(path))
    conn.rollback()


def test_empty_file_is_an_empty_day(conn, tmp_path: Path):
    path = tmp_path / "contacts.jsonl"
    path.write_text("")
    result = load_file(conn, SOURCE, DAY, str(path))
    assert (result.rows_in_file, result.rows_loaded) == (0, 0)
    assert _counts(conn) == (0, 0)
