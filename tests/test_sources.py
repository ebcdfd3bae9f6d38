"""Every source's parser on extracts of its real shape, on the public connector fixtures when
they are present, and the simulator's mess arriving as it should."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from revwh.core.sources import ALL_SOURCES, SOURCES, Source
from revwh.ingest.extract import locate, locate_interval
from revwh.ingest.load import load_file
from revwh.ops.pipeline import extract_platform, load_platform
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "real-data"
START = date(2026, 9, 1)


@pytest.fixture(scope="module")
def messy_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("messy")
    # 32 days so that the drift day (day 30) and the malformed days (11, 20) are in range
    write_extracts(Company(SimConfig(start=START, days=32, seed=5, scale=0.05)), folder)
    return folder


def _records_in(path: Path, source: Source) -> int:
    """Records in a landed file, counted independently of the loader."""
    data = path.read_bytes()
    if source.format == "jsonl":
        return sum(1 for line in data.splitlines() if line.strip())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline="")))
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row))


SIMULATED = [s for s in ALL_SOURCES if s.platform != "csv_crm"]  # csv_crm: its own test below


@pytest.mark.parametrize("source", SIMULATED, ids=lambda s: s.key)
def test_each_source_loads_its_simulated_extract(conn, messy_landing: Path, source: Source):
    """Every source, on a day with rows: nothing lost (file rows = loaded + quarantined)."""
    for offset in range(32):
        day = START + timedelta(days=offset)
        landed = locate(source, day, str(messy_landing))
        path = Path(landed.url)
        expected = _records_in(path, source)
        if expected:
            break
    else:
        pytest.fail(f"{source.key}: no day with rows in the simulated extracts")
    result = load_file(conn, source, day, landed.url)
    assert result.rows_in_file == expected
    assert result.rows_loaded + result.rows_quarantined == expected
    assert result.rows_loaded > 0


def test_the_simulated_mess_arrives(conn, messy_landing: Path):
    lead = SOURCES["salesforce__lead"]
    # from day 30 on, the first day with leads brings a new custom field
    drifts = [load_file(conn, lead, START + timedelta(days=n),
                        locate(lead, START + timedelta(days=n), str(messy_landing)).url)
              for n in (30, 31)]
    assert [d.new_fields for d in drifts if d.new_fields] == [("Partner_Tier__c",)]
    # one Lead row from day 20 on was cut short: quarantined, the rest loads
    broken = [load_file(conn, lead, START + timedelta(days=n),
                        locate(lead, START + timedelta(days=n), str(messy_landing)).url)
              for n in range(20, 32)]
    assert sum(b.rows_quarantined for b in broken) == 1
    batch = next(b.batch_id for b in broken if b.rows_quarantined)
    reason = conn.execute("select reason from ops.quarantine where batch_id = %s",
                          (batch,)).fetchone()[0]
    assert reason == "expected 29 fields, got 8"
    ga4 = SOURCES["ga4__events"]
    cut = load_file(conn, ga4, START + timedelta(days=11),
                    locate(ga4, START + timedelta(days=11), str(messy_landing)).url)
    assert cut.rows_quarantined == 1
    # an ad platform restates the last days: a later pull of a day lands beside the first
    first = locate(SOURCES["google_ads__ad_stats"], START, str(messy_landing))
    assert first.url.endswith("ad_stats__v20260903.jsonl")
    # an empty day: Meta's campaigns were paused on day 24
    paused = locate(SOURCES["meta_ads__ads_insights"], START + timedelta(days=24),
                    str(messy_landing))
    assert Path(paused.url).read_text() == ""


def test_restated_days_reload_through_the_lookback(conn, messy_landing: Path, tmp_path: Path):
    """A later pull of an earlier day replaces that day's figures on the next run."""
    import shutil

    landing = tmp_path / "landing"
    folder = "google_ads/campaign_stats/dt=2026-09-05"
    shutil.copytree(messy_landing / "google_ads", landing / "google_ads")
    for path in (landing / folder).glob("*__v*"):
        path.unlink()  # as on the night of 09-05: only the first pull had landed
    utc = datetime.fromisoformat
    load_platform("google_ads", extract_platform("google_ads", utc("2026-09-05T00:00+00:00"),
                                                 utc("2026-09-06T00:00+00:00"), str(landing)))
    cost_first = conn.execute(
        "select sum((record #>> '{metrics,cost_micros}')::bigint) from raw_google_ads"
        ".campaign_stats where _partition_date = '2026-09-05'").fetchone()[0]
    shutil.copy(messy_landing / folder / "campaign_stats__v20260907.jsonl", landing / folder)
    files = extract_platform("google_ads", utc("2026-09-07T00:00+00:00"),
                             utc("2026-09-08T00:00+00:00"), str(landing))
    restated = [f for f in files if f["day"] == "2026-09-05"
                and f["source"] == "google_ads__campaign_stats"]
    assert restated and not restated[0]["in_interval"]
    results = load_platform("google_ads", files)
    assert any(r["day"] == "2026-09-05" and r["url"].endswith("__v20260907.jsonl")
               for r in results)
    cost_final = conn.execute(
        "select sum((record #>> '{metrics,cost_micros}')::bigint) from raw_google_ads"
        ".campaign_stats where _partition_date = '2026-09-05'").fetchone()[0]
    assert cost_final < cost_first  # invalid clicks credited back
    # a second run over the same window reloads nothing it has already loaded
    again = load_platform("google_ads", extract_platform(
        "google_ads", utc("2026-09-07T00:00+00:00"), utc("2026-09-08T00:00+00:00"),
        str(landing)))
    assert {r["day"] for r in again} == {"2026-09-07"}


def test_lookback_window_is_per_platform(monkeypatch):
    ga4 = SOURCES["ga4__events"]
    assert ga4.lookback_days == 3
    assert SOURCES["hubspot__contacts"].lookback_days == 0
    monkeypatch.setenv("LOOKBACK_DAYS_GA4", "5")
    assert ga4.lookback_days == 5


def test_missing_lookback_days_are_skipped_but_interval_days_required(tmp_path: Path):
    source = SOURCES["ga4__events"]
    folder = tmp_path / source.partition_path(START)
    folder.mkdir(parents=True)
    (folder / "events_20260901.jsonl").write_text("")
    found = locate_interval(source, [START], str(tmp_path))
    assert [(f.day, f.in_interval) for f in found] == [("2026-09-01", True)]


# --- the public connector fixtures (Fivetran's integration-test seeds), when present ---------
FIXTURES = [
    ("fivetran_google_ads/campaign_stats_data.csv", ("customer_id", "date", "cost_micros")),
    ("fivetran_google_ads/campaign_history_data.csv", ("id", "updated_at", "name")),
    ("fivetran_facebook_ads/facebook_ads_basic_ad_data.csv", ("ad_id", "date", "spend")),
    ("fivetran_facebook_ads/facebook_ads_basic_ad_actions_data.csv", ("ad_id", "action_type")),
    ("fivetran_microsoft_ads/microsoft_ads_campaign_performance_daily_report_data.csv",
     ("date", "campaign_id", "spend")),
    ("fivetran_salesforce/sf_lead_data.csv", ("id", "email", "status")),
    ("fivetran_salesforce/sf_opportunity_data.csv", ("id", "stage_name", "close_date")),
    ("fivetran_salesforce/sf_opportunity_history_data.csv", ("id", "_fivetran_start")),
]


def _fixture_table(conn, source: Source) -> None:
    """The raw table of an ad-hoc fixture source, made as the warehouse makes its own."""
    from psycopg import sql

    from revwh.warehouse.schema import RAW_DDL

    conn.execute("create schema if not exists raw_fixture")
    conn.execute(sql.SQL(RAW_DDL).format(table=sql.Identifier("raw_fixture", source.entity)))


@pytest.mark.skipif(not REAL_DATA.exists(),
                    reason=f"public connector fixtures not found at {REAL_DATA}")
@pytest.mark.parametrize(("relative", "required"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_csv_parser_on_real_connector_fixtures(conn, relative: str, required: tuple[str, ...]):
    """CRLF line ends, no final newline, empty fields, 382 columns: all rows arrive intact."""
    path = REAL_DATA / relative
    source = Source("fixture", Path(relative).stem, path.name, "csv", "crm", required)
    _fixture_table(conn, source)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    result = load_file(conn, source, START, str(path))
    assert (result.rows_in_file, result.rows_loaded, result.rows_quarantined) == (
        len(rows), len(rows), 0)
    loaded = conn.execute(f'select record from raw_fixture."{source.entity}" order by _line'
                          ).fetchall()
    assert [r[0] for r in loaded] == rows


@pytest.mark.skipif(not REAL_DATA.exists(),
                    reason=f"public connector fixtures not found at {REAL_DATA}")
def test_real_opportunities_without_amount_are_quarantined_when_amount_is_required(conn):
    path = REAL_DATA / "fivetran_salesforce/sf_opportunity_data.csv"
    source = Source("fixture", "opportunity_amount", path.name, "csv", "crm", ("id", "amount"))
    _fixture_table(conn, source)
    with open(path, newline="", encoding="utf-8") as handle:
        empty = sum(1 for row in csv.DictReader(handle) if not row["amount"])
    result = load_file(conn, source, START, str(path))
    assert empty > 0 and result.rows_quarantined == empty
    reasons = {r[0] for r in conn.execute(
        "select reason from ops.quarantine where batch_id = %s", (result.batch_id,))}
    assert reasons == {"missing required field amount"}


def test_a_csv_crm_export_loads_mapped_and_its_unmappable_rows_are_quarantined(
        conn, tmp_path: Path, monkeypatch):
    """Bring your own CRM: the example export loads onto the common model; the problem file's
    rows that the mapping cannot map are quarantined, each with its issues named."""
    import shutil

    example = ROOT / "examples" / "byo_crm"
    monkeypatch.setenv("CRM", "csv_crm")
    monkeypatch.setenv("CRM_MAPPING_FILE", str(example / "mapping.yml"))
    day = date(2026, 9, 1)
    for name, target in (("leads.csv", "leads.csv"), ("deals.csv", "deals.csv")):
        folder = tmp_path / "csv_crm" / target.removesuffix(".csv") / f"dt={day}"
        folder.mkdir(parents=True)
        shutil.copy(example / name, folder / target)
    utc = datetime.fromisoformat
    files = extract_platform("csv_crm", utc("2026-09-01T00:00+00:00"),
                             utc("2026-09-02T00:00+00:00"), str(tmp_path))
    results = {r["source"]: r for r in load_platform("csv_crm", files)}
    assert (results["csv_crm__leads"]["rows_loaded"],
            results["csv_crm__leads"]["rows_quarantined"]) == (30, 0)
    assert results["csv_crm__deals"]["rows_quarantined"] == 0
    first = conn.execute("select record -> 'mapped', record -> 'row' from raw_csv_crm.leads"
                         " order by _line limit 1").fetchone()
    assert first[0]["lead_id"] == first[1]["Interessent-Nr."] == "IN-1001"
    assert first[0]["created_at"] == "2025-01-06T08:12:00Z"  # 09:12 in Berlin, winter time
    assert first[0]["stage"] == "customer"
    problems = tmp_path / "problems" / "csv_crm" / "leads" / f"dt={day}"
    problems.mkdir(parents=True)
    shutil.copy(example / "leads_with_problems.csv", problems / "leads.csv")
    result = load_file(conn, SOURCES["csv_crm__leads"], day, str(problems / "leads.csv"))
    assert (result.rows_in_file, result.rows_loaded, result.rows_quarantined) == (11, 5, 6)
    reasons = dict(conn.execute("select line_number, reason from ops.quarantine"
                                " where batch_id = %s", (result.batch_id,)).fetchall())
    assert '"Wiedervorlage"' in reasons[3] and "not mapped" in reasons[3]
    assert "31.02.2026 10:15" in reasons[5]
