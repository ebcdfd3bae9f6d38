"""Unit tests: no database needed."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from revwh.core.errors import ExtractMissing
from revwh.core.intervals import days_in
from revwh.core.sources import SOURCES
from revwh.gate.suites import _resolve, load_hand_written
from revwh.ingest.extract import locate
from revwh.ingest.load import Rejected, parse_json_line
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts


def test_days_in_daily_interval():
    start = datetime(2026, 9, 2, tzinfo=UTC)
    assert days_in(start, datetime(2026, 9, 3, tzinfo=UTC)) == [date(2026, 9, 2)]
    assert days_in(start, datetime(2026, 9, 5, tzinfo=UTC)) == [
        date(2026, 9, 2), date(2026, 9, 3), date(2026, 9, 4)]


@pytest.mark.parametrize(("line", "reason"), [
    (b'{"id": "1", "properties": {"createdate": "x"', "malformed JSON"),
    (b'\xff\xfe{"id": "1"}', "not UTF-8"),
    (b'[1, 2]', "a JSON list where an object was expected"),
    (b'{"id": "1", "properties": {"createdate": "2026-09-01"}}',
     "missing required field properties.lastmodifieddate"),
    (b'{"id": NaN}', "malformed JSON"),
    (b'{"id": "a\\u0000b"}', "NUL character"),
])
def test_parse_line_rejects_with_reason(line, reason):
    with pytest.raises(Rejected, match=reason.replace(".", r"\.")):
        parse_json_line(line, SOURCES["hubspot__contacts"].required)


def test_parse_line_keeps_the_original_text():
    line = '{"id":"7","properties":{"createdate":"a","lastmodifieddate":"b"},"x":"é"}'
    payload, record = parse_json_line(line.encode(), SOURCES["hubspot__contacts"].required)
    assert payload == line.encode() and record["x"] == "é"


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_simulator_is_deterministic(tmp_path: Path):
    config = SimConfig(start=date(2026, 9, 1), days=4, seed=7, scale=0.1)
    write_extracts(Company(config), tmp_path / "a")
    write_extracts(Company(config), tmp_path / "b")
    write_extracts(Company(SimConfig(start=date(2026, 9, 1), days=4, seed=8, scale=0.1)),
                   tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_simulated_people_are_joinable_across_sources(tmp_path: Path):
    """A paid click's gclid reaches the session and the CRM contact it became."""
    company = Company(SimConfig(days=3, seed=3, scale=0.5))
    paid = [p for p in company.people if p.session and p.session.click_id]
    assert paid
    clicks = {c.click_id: c for c in company.clicks}
    for person in paid:
        click = clicks[person.session.click_id]
        assert click.session is person.session and click.ad is person.session.ad


def test_missing_extract_names_source_day_and_location(tmp_path: Path):
    source = SOURCES["ga4__events"]
    with pytest.raises(ExtractMissing) as raised:
        locate(source, date(2026, 9, 4), str(tmp_path))
    message = str(raised.value)
    assert "ga4__events" in message
    assert "2026-09-04" in message
    assert str(tmp_path / "ga4" / "events" / "dt=2026-09-04") in message
    assert "events_20260904.jsonl" in message


def test_extract_accepts_gzip_and_plain(tmp_path: Path):
    source = SOURCES["hubspot__contacts"]
    folder = tmp_path / source.partition_path(date(2026, 9, 1))
    folder.mkdir(parents=True)
    (folder / "contacts.jsonl.gz").write_bytes(b"")
    assert locate(source, date(2026, 9, 1), str(tmp_path)).url.endswith("contacts.jsonl.gz")


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root reads any file")
def test_unreadable_extract_is_named(tmp_path: Path):
    source = SOURCES["hubspot__contacts"]
    folder = tmp_path / source.partition_path(date(2026, 9, 1))
    folder.mkdir(parents=True)
    path = folder / "contacts.jsonl"
    path.write_text("{}\n")
    path.chmod(0)
    with pytest.raises(ExtractMissing, match="cannot be read"):
        locate(source, date(2026, 9, 1), str(tmp_path))


def test_hand_written_suites_bind_to_marts_and_resolve_seed_value_sets():
    specs = {spec.name: spec for spec in load_hand_written()}
    assert set(specs) == {"daily_channel_performance"}
    assert {spec.table for spec in specs.values()} == set(specs)
    resolved = _resolve({"column": "metric", "value_set": {"$seed": "scorecard_targets",
                                                           "column": "metric"}}, "test")
    assert {"spend", "leads", "mqls"} <= set(resolved["value_set"])


def test_docs_architecture_lists_every_module() -> None:
    """docs/architecture.md names every module of the revwh package, and no module that is gone."""
    import re

    root = Path(__file__).resolve().parents[1]
    package = root / "plugins" / "revwh"
    modules = {".".join(("revwh", *path.relative_to(package).with_suffix("").parts))
               for path in package.rglob("*.py")
               if path.name not in ("__init__.py", "__main__.py")}
    text = (root / "docs" / "architecture.md").read_text()
    listed = set(re.findall(r"^\| `(revwh(?:\.[a-z0-9_]+){2,3})` \|", text, re.M))
    assert sorted(modules - listed) == [], "modules missing from docs/architecture.md"
    assert sorted(listed - modules) == [], "docs/architecture.md names modules that do not exist"


def test_the_layers_contract_covers_every_subpackage() -> None:
    """Every subpackage of revwh is a layer of the import-linter contract in pyproject.toml, so a
    new one cannot escape the rule that lower layers never import higher ones."""
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    subpackages = {f"revwh.{p.parent.name}"
                   for p in (root / "plugins" / "revwh").glob("*/__init__.py")}
    assert subpackages == set(layers)


def test_the_readme_is_short_and_its_links_resolve() -> None:
    """README.md is for a newcomer (at most 200 lines); it and the docs pages link only to files
    and headings that exist."""
    import re

    root = Path(__file__).resolve().parents[1]
    readme = root / "README.md"
    assert len(readme.read_text().splitlines()) <= 200

    def anchors(page: Path) -> set[str]:
        headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
        return {re.sub(r"[^a-z0-9 _-]", "", h.lower()).replace(" ", "-") for h in headings}

    broken = []
    for page in [readme, *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a URL, not a file of the repository
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or (anchor and resolved.suffix == ".md"
                                         and anchor not in anchors(resolved)):
                broken.append(f"{page.relative_to(root)}: {target}")
    assert broken == []
