"""Bring-your-own-CRM mapping: the mapping file, map_row, validate and the command (no database)."""

from __future__ import annotations

import copy
import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from revwh.core.errors import WarehouseError
from revwh.ingest.crm_convert import Issue
from revwh.ingest.crm_report import validate
from revwh.ingest.crm_spec import (
    MODEL,
    CrmMapping,
    MappingError,
    load_mapping,
    map_row,
    required_columns,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "byo_crm"
MAPPING = EXAMPLE / "mapping.yml"

BASE: dict = {
    "version": 1,
    "crm": "test_crm",
    "timezone": "Europe/Berlin",
    "entities": {
        "leads": {
            "columns": {
                "lead_id": "ID",
                "created_at": {"column": "Created", "format": "%d.%m.%Y %H:%M"},
                "stage": {"column": "Status",
                          "values": {"New": "lead", "Marketing Qualified": "mql",
                                     "Working": "sal"}},
                "channel": {"column": "Source", "values": {"Google Ads": "paid_search"},
                            "default": "other"},
                "score": "Score",
            },
        },
        "deals": {
            "columns": {
                "deal_id": "Deal",
                "amount": {"column": "Amount", "decimal": ","},
                "stage": {"column": "Phase", "values": {"Won": "closed_won", "Open": "open"}},
                "created_at": {"column": "Created", "format": "%Y-%m-%d %H:%M"},
                "close_date": {"column": "Closed", "format": "%d/%m/%Y"},
            },
            "constants": {"currency": "usd"},
        },
    },
}


def write_mapping(tmp_path: Path, document: dict | str, name: str = "mapping.yml") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def mapping(tmp_path: Path) -> CrmMapping:
    return load_mapping(write_mapping(tmp_path, BASE))


def lead(**cells: str) -> dict[str, str]:
    row = {"ID": "L1", "Created": "15.01.2025 10:00", "Status": "New", "Source": "", "Score": ""}
    row.update(cells)
    return row


# ---------------------------------------------------------------- the worked example


def test_example_validates_clean() -> None:
    report = validate(MAPPING, {"leads": EXAMPLE / "leads.csv", "deals": EXAMPLE / "deals.csv"})
    leads, deals = report.files
    assert report.ok, report.render()
    assert (leads.rows, leads.rows_ok, deals.rows, deals.rows_ok) == (30, 30, 12, 12)
    assert report.render().endswith("OK: every row maps onto the common model.")


def test_problem_file_reports_each_problem() -> None:
    report = validate(MAPPING, {"leads": EXAMPLE / "leads_with_problems.csv"})
    (leads,) = report.files
    assert not report.ok
    assert (leads.rows, leads.rows_ok, leads.rows_with_issues) == (11, 5, 6)
    unmapped = leads.findings[("stage", "unmapped")]
    assert unmapped.column == "Status"
    assert [(s.value, s.count, s.first_line) for s in unmapped.values.values()] == [
        ("Wiedervorlage", 2, 3), ("Partner", 1, 8)]  # " WIEDERVORLAGE " on line 10 is the same
    bad_date = leads.findings[("created_at", "invalid")]
    assert [(s.value, s.count, s.first_line) for s in bad_date.values.values()] == [
        ("31.02.2026 10:15", 1, 5)]
    empty = leads.findings[("lead_id", "empty")]
    assert (empty.count, empty.lines) == (1, [7])
    bad_score = leads.findings[("score", "invalid")]
    assert [(s.value, s.first_line) for s in bad_score.values.values()] == [("hoch", 11)]
    assert len(leads.findings) == 4
    text = report.render()
    for expected in ('"Wiedervorlage": 2 rows, first on line 3',
                     '"Partner": 1 row, first on line 8',
                     'line 5: "31.02.2026 10:15" is not a date/time in format "%d.%m.%Y %H:%M"',
                     'lead_id (column "Interessent-Nr."): empty in 1 row but required; line 7',
                     "11 rows: 5 ok, 6 with issues", "NOT OK: 6 rows would be quarantined"):
        assert expected in text


def test_example_records_are_json_ready_and_complete() -> None:
    example = load_mapping(MAPPING)
    with open(EXAMPLE / "deals.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    record, issues = map_row(example, "deals", rows[10])
    assert issues == []
    assert json.loads(json.dumps(record)) == record
    assert record == {
        "deal_id": "VC-2011", "lead_id": "IN-1027", "account_name": "Kaiser Kältetechnik",
        "name": "Servicevertrag", "owner": "S. Kaya", "amount": "1250000.00", "currency": "EUR",
        "stage": "open", "pipeline_stage": "Verhandlung", "created_at": "2025-10-20T07:09:00Z",
        "close_date": None, "closed_at": None, "lost_reason": None, "is_deleted": None,
        "deleted_at": None}
    assert required_columns(example, "deals")[:3] == [
        "Verkaufschance-Nr.", "Interessent-Nr.", "Kunde"]
    assert len(required_columns(example, "leads")) == 14


# ---------------------------------------------------------------- map_row


@pytest.mark.parametrize(("cell", "utc"), [
    ("15.01.2025 10:00", "2025-01-15T09:00:00Z"),  # CET, UTC+1
    ("15.07.2025 10:00", "2025-07-15T08:00:00Z"),  # CEST, UTC+2
    ("30.03.2025 01:59", "2025-03-30T00:59:00Z"),  # last minute of winter time
    ("30.03.2025 03:00", "2025-03-30T01:00:00Z"),  # first minute of summer time
    ("26.10.2025 02:30", "2025-10-26T00:30:00Z"),  # repeated hour: first occurrence (summer)
])
def test_timestamps_are_local_wall_clock_converted_to_utc(mapping, cell: str, utc: str) -> None:
    record, issues = map_row(mapping, "leads", lead(Created=cell))
    assert (record["created_at"], issues) == (utc, [])


def test_a_time_the_clocks_skipped_is_an_issue(mapping) -> None:
    record, issues = map_row(mapping, "leads", lead(Created="30.03.2025 02:30"))
    assert record["created_at"] is None
    assert [(i.field, i.kind) for i in issues] == [("created_at", "invalid")]
    assert "does not exist in Europe/Berlin" in str(issues[0])


def test_iso_default_format_and_explicit_offsets(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["entities"]["leads"]["columns"]["created_at"] = "Created"  # no format: ISO 8601
    doc["entities"]["leads"]["columns"]["updated_at"] = {"column": "Updated", "timezone": "UTC"}
    iso = load_mapping(write_mapping(tmp_path, doc))
    row = lead(Created="2025-07-01 10:00", Updated="2025-07-01 10:00")
    record, _ = map_row(iso, "leads", row)
    assert (record["created_at"], record["updated_at"]) == (
        "2025-07-01T08:00:00Z", "2025-07-01T10:00:00Z")
    record, _ = map_row(iso, "leads", lead(Created="2025-07-01T10:00:00-04:00"))
    assert record["created_at"] == "2025-07-01T14:00:00Z"  # an offset in the cell wins


@pytest.mark.parametrize(("cell", "amount"), [
    ("1.234,50", "1234.50"), ("12,5", "12.5"), ("1.250.000", "1250000"), ("-3,00", "-3.00"),
    (" 7 ", "7"), ("1 234,5", "1234.5"),
])
def test_decimal_comma(mapping, cell: str, amount: str) -> None:
    record, issues = map_row(mapping, "deals", {
        "Deal": "D1", "Amount": cell, "Phase": "Won", "Created": "2025-02-03 04:05",
        "Closed": "28/02/2025"})
    assert (record["amount"], issues) == (amount, [])
    assert (record["currency"], record["close_date"]) == ("USD", "2025-02-28")
    assert record["created_at"] == "2025-02-03T03:05:00Z"


@pytest.mark.parametrize("cell", ["1.234.5", "12.34,5", "1,234.50", "12,", "€ 12", "12.5"])
def test_decimal_comma_rejects_what_it_cannot_read_safely(mapping, cell: str) -> None:
    record, issues = map_row(mapping, "deals", {
        "Deal": "D1", "Amount": cell, "Phase": "Won", "Created": "2025-02-03 04:05"})
    assert record["amount"] is None
    assert [(i.field, i.column, i.value, i.kind) for i in issues] == [
        ("amount", "Amount", cell.strip(), "invalid")]
    assert 'decimal comma ","' in issues[0].reason


@pytest.mark.parametrize(("cell", "score"), [("42", 42), ("1,234", 1234), ("7.0", 7)])
def test_decimal_point_default_with_thousands_separator(mapping, cell: str, score: int) -> None:
    record, issues = map_row(mapping, "leads", lead(Score=cell))
    assert (record["score"], issues) == (score, [])


@pytest.mark.parametrize("cell", ["1.234", "12,5", "hoch"])
def test_integers_that_are_not_whole_numbers_are_issues(mapping, cell: str) -> None:
    record, issues = map_row(mapping, "leads", lead(Score=cell))
    assert record["score"] is None
    assert [(i.field, i.value) for i in issues] == [("score", cell)]


@pytest.mark.parametrize("cell", ["Working", "working", "  WORKING ", "\tworKing\n"])
def test_values_match_trimmed_and_ignoring_case(mapping, cell: str) -> None:
    record, issues = map_row(mapping, "leads", lead(Status=cell))
    assert (record["stage"], issues) == ("sal", [])


def test_inner_whitespace_runs_count_as_one_space(mapping) -> None:
    record, _ = map_row(mapping, "leads", lead(Status="marketing   qualified"))
    assert record["stage"] == "mql"


def test_default_maps_unlisted_values_and_empty_stays_null(mapping) -> None:
    assert map_row(mapping, "leads", lead(Source="Podcast"))[0]["channel"] == "other"
    assert map_row(mapping, "leads", lead(Source=" google ads"))[0]["channel"] == "paid_search"
    assert map_row(mapping, "leads", lead(Source="  "))[0]["channel"] is None


def test_unmapped_value_without_default_is_a_named_issue(mapping) -> None:
    record, issues = map_row(mapping, "leads", lead(Status="Nurturing"))
    assert record["stage"] is None
    assert issues == [Issue("stage", "Status", "Nurturing", issues[0].reason, "unmapped")]
    assert str(issues[0]) == (
        'stage: column "Status" value "Nurturing" is not mapped: not in '
        "entities.leads.columns.stage.values, and there is no default; allowed lead stages: "
        "subscriber, lead, mql, sal, sql, opportunity, customer, disqualified, other")
    assert "\n" not in str(issues[0])


def test_empty_or_absent_required_cells_are_issues(mapping) -> None:
    _, issues = map_row(mapping, "leads", {"ID": " ", "Status": "New", "Source": "", "Score": ""})
    assert [(i.field, i.column, i.kind) for i in issues] == [
        ("lead_id", "ID", "empty"), ("created_at", "Created", "empty")]
    assert str(issues[0]) == 'lead_id: column "ID" is empty, and lead_id is required'


def test_record_has_every_field_of_the_model(mapping) -> None:
    record, _ = map_row(mapping, "leads", lead())
    assert list(record) == [t.name for t in MODEL["leads"]]
    assert record["email"] is None


def test_stage_without_values_takes_common_values(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["entities"]["leads"]["columns"]["stage"] = "Status"
    plain = load_mapping(write_mapping(tmp_path, doc))
    assert map_row(plain, "leads", lead(Status=" MQL "))[0]["stage"] == "mql"
    _, issues = map_row(plain, "leads", lead(Status="Working"))
    assert issues[0].kind == "unmapped" and "not a lead stage" in issues[0].reason


def test_channels_come_from_the_lead_definition_contract(tmp_path: Path, monkeypatch) -> None:
    import yaml

    from revwh.core import contract

    document = contract.load()
    document = {**document, "channels": [{"key": "podcast", "group": "owned"},
                                         {"key": "other", "group": "other"}],
                "self_reported_sources": {},
                "crm": {name: {k: v for k, v in crm.items() if k != "lead_source_channels"}
                        for name, crm in document["crm"].items()}}
    path = tmp_path / "lead_definition.yml"
    path.write_text(yaml.safe_dump(document))
    monkeypatch.setenv("LEAD_DEFINITION_FILE", str(path))
    doc = copy.deepcopy(BASE)
    doc["entities"]["leads"]["columns"]["channel"]["values"] = {"Podcast": "podcast"}
    mapped = load_mapping(write_mapping(tmp_path, doc))
    assert map_row(mapped, "leads", lead(Source="podcast"))[0]["channel"] == "podcast"
    with pytest.raises(MappingError, match=r"'paid_search' is not a channel; allowed: podcast"):
        load_mapping(write_mapping(tmp_path, BASE))


def test_map_row_of_an_entity_the_mapping_lacks(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    del doc["entities"]["deals"]
    with pytest.raises(MappingError, match=r"entities\.deals: not in the mapping"):
        map_row(load_mapping(write_mapping(tmp_path, doc)), "deals", {})


# ---------------------------------------------------------------- load_mapping


def _set(doc: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()
LEADS = "entities.leads.columns"


@pytest.mark.parametrize(("path", "value", "message"), [
    ("version", 2, "version: 2 is not supported"),
    ("crm", "Acme CRM", "crm: 'Acme CRM' must be made of a-z, 0-9 and _"),
    ("timezone", "Europe/Berlinn", "timezone: 'Europe/Berlinn' is not an IANA time zone"),
    ("timezone", _DELETE, ": missing key timezone"),
    ("delimiter", ";;", "delimiter: must be one character"),
    ("colour", "blue", "colour: unknown key; allowed here: version, crm"),
    ("entities.contacts", {"columns": {}}, "entities.contacts: unknown key; allowed here: leads"),
    ("entities.leads", _DELETE, "entities: missing key leads"),
    (f"{LEADS}.lead_idd", "X", f"{LEADS}.lead_idd: unknown key; allowed here: lead_id, email"),
    (f"{LEADS}.stage", _DELETE, f"{LEADS}: required field stage not mapped"),
    (f"{LEADS}.email", "", f"{LEADS}.email.column: must be a column name"),
    (f"{LEADS}.email", ["E-Mail"], f"{LEADS}.email: this key must hold a mapping"),
    (f"{LEADS}.stage.values.Working", "sall",
     f"{LEADS}.stage.values[\"Working\"]: 'sall' is not a lead stage; allowed: subscriber, lead,"),
    (f"{LEADS}.stage.values", {}, f"{LEADS}.stage.values: must map CRM values"),
    (f"{LEADS}.stage.default", "won", f"{LEADS}.stage.default: 'won' is not a lead stage"),
    (f"{LEADS}.channel.values.Google Ads", "google",
     f"{LEADS}.channel.values[\"Google Ads\"]: 'google' is not a channel; allowed: paid_search,"),
    (f"{LEADS}.channel.default", "unknown", f"{LEADS}.channel.default: 'unknown' is not a chan"),
    (f"{LEADS}.created_at.format", "%d.%m.%Y %Q", f"{LEADS}.created_at.format: %Q in"),
    (f"{LEADS}.created_at.format", "%d.%m. %H:%M", "does not hold a full date"),
    (f"{LEADS}.created_at.format", "%d.%m.%Y %I:%M", "uses %I (12-hour clock) without %p"),
    (f"{LEADS}.created_at.timezone", "CEST", f"{LEADS}.created_at.timezone: 'CEST' is not"),
    (f"{LEADS}.score", {"column": "Score", "format": "%d"},
     f"{LEADS}.score.format: unknown key; allowed here: column, decimal"),
    (f"{LEADS}.score", {"column": "Score", "decimal": ";"}, f"{LEADS}.score.decimal: must be"),
    (f"{LEADS}.score", {"decimal": ","}, f"{LEADS}.score: missing key column"),
    ("entities.deals.constants.currency", "EURO",
     'entities.deals.constants.currency: "EURO" is not a 3-letter ISO 4217 currency code'),
    ("entities.deals.constants.currency", _DELETE,
     "entities.deals.columns: amount is mapped but currency is not"),
    ("entities.deals.constants.deal_id", "D", "entities.deals.constants.deal_id: deal_id is also"),
    ("entities.leads.constants", {"updated_at": "yesterday"},
     'entities.leads.constants.updated_at: "yesterday" is not a date/time in ISO 8601'),
    ("entities.leads.constants", {"channel": "web"}, "constants.channel: channel is also mapped"),
    ("entities.leads.constants", {"email": True}, "constants.email: must be a single value"),
    ("entities.deals.columns.stage.values.Lost", "lost",
     "entities.deals.columns.stage.values[\"Lost\"]: 'lost' is not a deal stage; allowed: open,"),
])
def test_load_mapping_names_the_key_of_each_mistake(tmp_path: Path, path, value, message) -> None:
    broken = write_mapping(tmp_path, _set(copy.deepcopy(BASE), path, value))
    with pytest.raises(MappingError) as caught:
        load_mapping(broken)
    assert str(caught.value).startswith(f"{broken}: ")
    assert message in str(caught.value)
    assert isinstance(caught.value, WarehouseError)


def _yaml_with(tmp_path: Path, old: str, new: str) -> Path:
    text = yaml.safe_dump(BASE, sort_keys=False)
    assert old in text
    return write_mapping(tmp_path, text.replace(old, new, 1))


@pytest.mark.parametrize(("old", "new", "message"), [
    ("New: lead", "No: lead", "values[\"False\"]: YAML read this key as bool False; put the CRM"),
    ("New: lead", "New: lead\n          ' new ': mql",
     "values[\" new \"]: repeats \"New\" (values match ignoring case"),
    ("      score: Score", "      score: Score\n      score: Points", "duplicate key 'score'"),
    ("crm: test_crm", "crm: [test_crm", "not valid YAML: line"),
])
def test_load_mapping_rejects_yaml_pitfalls(tmp_path: Path, old, new, message) -> None:
    with pytest.raises(MappingError, match=r"mapping\.yml: ") as caught:
        load_mapping(_yaml_with(tmp_path, old, new))
    assert message in str(caught.value)


def test_constants_are_common_values(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    del doc["entities"]["leads"]["columns"]["channel"]
    doc["entities"]["leads"]["constants"] = {"channel": "offline", "owner": "Trade fair team"}
    fixed = load_mapping(write_mapping(tmp_path, doc))
    record, issues = map_row(fixed, "leads", lead())
    assert (record["channel"], record["owner"], issues) == ("offline", "Trade fair team", [])
    doc["entities"]["leads"]["constants"] = {"channel": "Messe"}
    with pytest.raises(MappingError, match=r"constants\.channel: 'Messe' is not a channel; "):
        load_mapping(write_mapping(tmp_path, doc))


def test_load_mapping_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="nope.yml: cannot be read"):
        load_mapping(tmp_path / "nope.yml")


def test_the_example_mapping_loads() -> None:
    example = load_mapping(MAPPING)
    assert (example.crm, example.timezone.key, example.delimiter) == (
        "kundenstamm_pro", "Europe/Berlin", ";")
    assert set(example.entities) == {"leads", "deals"}


# ---------------------------------------------------------------- validate


@pytest.mark.parametrize("name", ["leads.csv", "leads.csv.gz"])
def test_validate_reads_gzip_and_a_bom(tmp_path: Path, name: str) -> None:
    data = "\ufeff".encode() + (EXAMPLE / "leads.csv").read_bytes()
    landed = tmp_path / name
    landed.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    report = validate(MAPPING, {"leads": landed})
    assert report.ok, report.render()
    assert report.files[0].rows == 30


def test_validate_reports_missing_columns_and_short_rows(tmp_path: Path) -> None:
    mapping_path = write_mapping(tmp_path, BASE)
    leads = tmp_path / "leads.csv"
    leads.write_text("ID,Created,Source,Score\nL1,15.01.2025 10:00,,\nL2,16.01.2025 10:00\n")
    report = validate(mapping_path, {"leads": leads})
    (file_report,) = report.files
    assert not report.ok
    assert file_report.missing_columns == ["Status"]
    assert file_report.findings == {}  # the missing column is reported once, not per row
    assert (file_report.malformed, file_report.malformed_lines) == (1, [3])
    assert 'missing columns (the loader refuses the file): "Status"' in report.render()


def test_validate_reports_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_bytes("ID,Created,Status,Source,Score\nL1,15.01.2025 10:00,Neu,Müll,\n"
                      .encode("latin-1"))
    report = validate(write_mapping(tmp_path, BASE), {"leads": leads})
    assert not report.ok and "not UTF-8" in (report.files[0].error or "")


def test_validate_of_a_file_for_an_entity_the_mapping_lacks(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    del doc["entities"]["deals"]
    with pytest.raises(MappingError, match=r"entities\.deals: not in the mapping"):
        validate(write_mapping(tmp_path, doc), {"deals": EXAMPLE / "deals.csv"})


# ---------------------------------------------------------------- the command


def run_command(*args: str) -> subprocess.CompletedProcess:
    revwh = Path(sys.executable).parent / "revwh"  # the console script uv sync installs
    return subprocess.run([str(revwh), "crm-mapping", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_command_exit_0_for_the_clean_example() -> None:
    done = run_command("validate", "--mapping", str(MAPPING), "--leads",
                       str(EXAMPLE / "leads.csv"), "--deals", str(EXAMPLE / "deals.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "30 rows: 30 ok" in done.stdout and "12 rows: 12 ok" in done.stdout


def test_command_exit_1_names_the_problems() -> None:
    done = run_command("validate", "--mapping", str(MAPPING), "--leads",
                       str(EXAMPLE / "leads_with_problems.csv"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert '"Wiedervorlage": 2 rows, first on line 3' in done.stdout
    assert 'line 5: "31.02.2026 10:15"' in done.stdout


def test_command_exit_2_for_a_broken_mapping(tmp_path: Path) -> None:
    broken = write_mapping(tmp_path, _set(copy.deepcopy(BASE), f"{LEADS}.stage.values.Working",
                                          "sall"))
    done = run_command("validate", "--mapping", str(broken), "--leads",
                       str(EXAMPLE / "leads.csv"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{broken}: {LEADS}.stage.values[\"Working\"]: 'sall' is not a lead stage" in (
        done.stderr)


def test_importing_the_module_does_nothing() -> None:
    modules = "; ".join(f"import revwh.ingest.{m}" for m in ("crm_spec", "crm_convert",
                                                              "crm_report"))
    done = subprocess.run([sys.executable, "-c", modules],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_closed_deals_export_needs_no_made_up_values(tmp_path: Path) -> None:
    """Deal id, amount, currency and creation date are optional: a won-deals export keyed by
    its lead maps with a stage constant only."""
    path = write_mapping(tmp_path, {
        "version": 1, "crm": "funnel", "timezone": "America/Sao_Paulo",
        "entities": {
            "leads": {"columns": {"lead_id": "id", "created_at": "first_contact"},
                      "constants": {"stage": "mql"}},
            "deals": {"columns": {"lead_id": "id", "closed_at": "won"},
                      "constants": {"stage": "closed_won"}}}})
    mapping = load_mapping(path)
    record, issues = map_row(mapping, "deals", {"id": "L1", "won": "2017-11-20 14:03:11"})
    assert issues == []
    assert record["deal_id"] is None and record["amount"] is None and record["currency"] is None
    assert record["created_at"] is None and record["closed_at"] == "2017-11-20T16:03:11Z"
    lead, issues = map_row(mapping, "leads", {"id": "L1", "first_contact": "2017-10-15"})
    # a date only is that day: Sao Paulo's clocks skipped midnight on 2017-10-15
    assert issues == [] and lead["created_at"] == "2017-10-15T00:00:00Z"


def test_a_deal_needs_its_lead_or_its_id(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, {
        "version": 1, "crm": "funnel", "timezone": "UTC",
        "entities": {
            "leads": {"columns": {"lead_id": "id", "created_at": "c", "stage": "s"}},
            "deals": {"columns": {"owner": "o"}, "constants": {"stage": "closed_won"}}}})
    with pytest.raises(MappingError, match="map deal_id or lead_id"):
        load_mapping(path)


def test_a_date_only_format_is_a_date_in_any_zone(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, {
        "version": 1, "crm": "funnel", "timezone": "America/Sao_Paulo",
        "entities": {"leads": {"columns": {
            "lead_id": "id", "created_at": {"column": "c", "format": "%d/%m/%Y"},
            "stage": "s"}}}})
    record, issues = map_row(load_mapping(path), "leads",
                             {"id": "1", "c": "15/10/2017", "s": "lead"})
    assert issues == [] and record["created_at"] == "2017-10-15T00:00:00Z"


def test_unmapped_channels_are_reported_with_the_allowed_channels(tmp_path: Path) -> None:
    path = write_mapping(tmp_path, {
        "version": 1, "crm": "funnel", "timezone": "UTC",
        "entities": {"leads": {"columns": {
            "lead_id": "id", "created_at": "c", "stage": "s",
            "channel": {"column": "origin", "values": {"Google": "paid_search"}}}}}})
    leads = tmp_path / "leads.csv"
    leads.write_text("id,c,s,origin\n1,2024-01-01,lead,Google\n2,2024-01-01,lead,Podcast\n",
                     encoding="utf-8")
    report = validate(path, {"leads": leads})
    assert not report.ok
    text = report.render()
    assert '"Podcast": 1 row, first on line 3' in text
    assert "allowed channels: paid_search, paid_social, display, organic_search" in text
