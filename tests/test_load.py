"""The loader on a real PostgreSQL: idempotent per (source, day), nothing lost."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

from revwh.core.errors import LoadRejected
from revwh.core.sources import SOURCES
from revwh.ingest.extract import locate_interval
from revwh.ingest.load import load_file, refresh_statistics
from revwh.ops.pipeline import load_platform

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


# --- the bad-input matrix: each gives a clear error or a quarantine, and rows reconcile --------
GOOGLE = SOURCES["google_ads__campaign_stats"]
SALESFORCE_LEAD = SOURCES["salesforce__lead"]


def _google_row(cost: object = "12500000", **extra) -> str:
    return json.dumps({"customer": {"id": "1", "currency_code": "USD"}, "campaign": {"id": "7"},
                       "segments": {"date": "2026-09-01"},
                       "metrics": {"cost_micros": cost, "clicks": "3"}, **extra})


def test_a_value_of_the_wrong_type_is_quarantined(conn, tmp_path: Path):
    path = tmp_path / "campaign_stats.jsonl"
    path.write_text("\n".join([_google_row(), _google_row("12.5 EUR"), _google_row(True)]) + "\n")
    result = load_file(conn, GOOGLE, DAY, str(path))
    assert (result.rows_in_file, result.rows_loaded, result.rows_quarantined) == (3, 1, 2)
    reasons = [r[0] for r in conn.execute(
        "select reason from ops.quarantine where batch_id = %s order by line_number",
        (result.batch_id,))]
    assert reasons == ["field metrics.cost_micros is not a valid int: '12.5 EUR'",
                       "field metrics.cost_micros is not a valid int: 'True'"]


def _lead_csv(header: list[str], rows: list[list[str]]) -> bytes:
    return ("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode()


LEAD_HEADER = ["Id", "IsDeleted", "Status", "Email", "CreatedDate", "LastModifiedDate",
               "SystemModstamp"]


def _lead(n: int, status: str = "Open - Not Contacted") -> list[str]:
    stamp = "2026-09-01T10:00:00.000+0000"
    return [f"00Q{n:015d}", "false", status, f"a{n}@x.example", stamp, stamp, stamp]


def test_csv_non_utf8_and_short_rows_are_quarantined(conn, tmp_path: Path):
    path = tmp_path / "Lead.csv"
    data = _lead_csv(LEAD_HEADER, [_lead(1), _lead(2, "Nouveau\xe9"), _lead(3)[:4], _lead(4)])
    path.write_bytes(data.replace("Nouveau\xe9".encode(), b"Nouveau\xe9"))
    result = load_file(conn, SALESFORCE_LEAD, DAY, str(path))
    assert (result.rows_in_file, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    reasons = dict(conn.execute("select line_number, reason from ops.quarantine"
                                " where batch_id = %s", (result.batch_id,)).fetchall())
    assert reasons == {3: "not UTF-8", 4: "expected 7 fields, got 4"}


def test_a_csv_without_a_required_column_fails_naming_file_and_column(conn, tmp_path: Path):
    path = tmp_path / "Lead.csv"
    header = [c for c in LEAD_HEADER if c != "Status"]
    path.write_bytes(_lead_csv(header, [[v for c, v in zip(LEAD_HEADER, _lead(1), strict=True)
                                         if c != "Status"]]))
    with pytest.raises(LoadRejected, match=rf"salesforce__lead: {path} lacks required column "
                                           r"Status \(header: Id, IsDeleted, Email"):
        load_file(conn, SALESFORCE_LEAD, DAY, str(path))
    conn.rollback()


def test_new_fields_are_kept_and_reported(conn, tmp_path: Path):
    path = tmp_path / "campaign_stats.jsonl"
    path.write_text(_google_row(campaign_budget={"amount_micros": "9"}) + "\n")
    result = load_file(conn, GOOGLE, DAY, str(path))
    assert result.new_fields == ("campaign_budget",)
    kept = conn.execute("select record #>> '{campaign_budget,amount_micros}' from"
                        " raw_google_ads.campaign_stats where _batch_id = %s",
                        (result.batch_id,)).fetchone()[0]
    manifest = conn.execute("select new_fields from ops.load_manifest where batch_id = %s",
                            (result.batch_id,)).fetchone()[0]
    assert (kept, manifest) == ("9", ["campaign_budget"])


def test_the_same_file_delivered_twice_loads_once(conn, tmp_path: Path):
    folder = tmp_path / SOURCE.partition_path(DAY)
    folder.mkdir(parents=True)
    body = "\n".join(_contact(n) for n in range(12)) + "\n"
    (folder / "contacts.jsonl").write_text(body)
    (folder / "contacts__v20260902.jsonl").write_text(body)  # the same pull, landed again
    for _ in range(2):
        files = [f.to_dict() for f in locate_interval(SOURCE, [DAY], str(tmp_path))]
        assert [Path(f["url"]).name for f in files] == ["contacts__v20260902.jsonl"]
        load_platform("hubspot", files)
    assert _counts(conn) == (12, 0)


def test_a_landing_url_on_another_filesystem_needs_no_code_change(conn):
    """Any fsspec URL works as the landing location (here the in-memory filesystem; s3:// is
    the same code with s3fs installed)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe(f"/landing/{SOURCE.partition_path(DAY)}/contacts.jsonl",
            ("\n".join(_contact(n) for n in range(7)) + "\n").encode())
    files = [f.to_dict() for f in locate_interval(SOURCE, [DAY], "memory://landing")]
    assert files[0]["url"].startswith("memory://")
    assert files[0]["url"].endswith(f"/landing/{SOURCE.partition_path(DAY)}/contacts.jsonl")
    results = load_platform("hubspot", files)
    assert results[0]["rows_loaded"] == 7


def test_a_load_that_grows_a_table_by_a_tenth_refreshes_its_statistics(conn, tmp_path: Path):
    """The planner sees a freshly loaded raw table as it is (without statistics it reads the
    whole history where the day index would do: the lookback window's tests and models)."""
    path = tmp_path / "contacts.jsonl"
    path.write_text("\n".join(_contact(n) for n in range(200)) + "\n")
    day = date(2026, 7, 1)
    loaded = load_file(conn, SOURCE, day, str(path)).rows_loaded
    assert refresh_statistics(conn, SOURCE, loaded)  # more than a tenth: analyzed
    rows = conn.execute("select count(*) from raw_hubspot.contacts").fetchone()[0]
    estimate = conn.execute("select reltuples from pg_class"
                            " where oid = 'raw_hubspot.contacts'::regclass").fetchone()[0]
    assert estimate == rows
    assert not refresh_statistics(conn, SOURCE, rows // 10)  # a tenth or less: left alone
    conn.execute("delete from raw_hubspot.contacts where _partition_date = %s", (day,))
    conn.commit()
