"""Bring your own CRM, the report: a whole export run through its mapping before anything loads.

    revwh crm-mapping validate --mapping FILE --leads CSV [--deals CSV]

reports every unmapped value with its count and first line (and the values allowed), every
unparseable value with examples, and missing columns; it exits 0 when every row maps, 1 when
some do not, 2 when the mapping file itself is broken.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from revwh.ingest.crm_convert import Issue, IssueKind, norm, quote
from revwh.ingest.crm_spec import (
    MAX_EXAMPLES,
    MAX_UNMAPPED_VALUES,
    MODEL,
    CrmMapping,
    MappingError,
    entity_mapping,
    load_mapping,
    map_row,
    required_columns,
)


@dataclass
class ValueStat:
    value: str  # as first seen; values that differ only in case and whitespace count as one
    count: int
    first_line: int
    reason: str


@dataclass
class Finding:
    """Every issue of one kind on one field of a file."""

    field: str
    column: str
    kind: IssueKind
    count: int = 0
    values: dict[str, ValueStat] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)  # the first few

    def add(self, issue: Issue, line: int) -> None:
        self.count += 1
        if len(self.lines) < MAX_EXAMPLES:
            self.lines.append(line)
        key = norm(issue.value)
        stat = self.values.get(key)
        if stat is not None:
            stat.count += 1
        elif len(self.values) < (MAX_UNMAPPED_VALUES if self.kind == "unmapped" else MAX_EXAMPLES):
            self.values[key] = ValueStat(issue.value, 1, line, issue.reason)

    def render(self) -> list[str]:
        head = f"  {self.field} (column {quote(self.column)}): "
        if self.kind == "empty":
            return [head + f"empty in {_rows(self.count)} but required; "
                    + _lines(self.lines, self.count)]
        if self.kind == "unmapped":
            hint = next(iter(self.values.values())).reason.removeprefix("is not mapped: ")
            out = [head + f"{_rows(len(self.values), 'unmapped value')} in "
                   f"{_rows(self.count)}: {hint}"]
            out += [f"    {quote(stat.value)}: {_rows(stat.count)}, first on line "
                    f"{stat.first_line}" for stat in self.values.values()]
        else:
            out = [head + f"{_rows(self.count, 'value')} cannot be read"]
            out += [f"    line {stat.first_line}: {quote(stat.value)} {stat.reason}"
                    + (f" ({_rows(stat.count)})" if stat.count > 1 else "")
                    for stat in self.values.values()]
        shown = sum(stat.count for stat in self.values.values())
        more = self.count - shown
        return out + ([f"    … and {_rows(more)} with other values"] if more else [])


def _rows(count: int, noun: str = "row") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _lines(lines: list[int], count: int) -> str:
    more = ", …" if count > len(lines) else ""
    return ("line " if count == 1 else "lines ") + ", ".join(map(str, lines)) + more


@dataclass
class FileReport:
    entity: str
    path: Path
    rows: int = 0
    rows_with_issues: int = 0
    missing_columns: list[str] = field(default_factory=list)
    malformed: int = 0  # rows with more or fewer fields than the header
    malformed_lines: list[int] = field(default_factory=list)
    error: str | None = None
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    @property
    def rows_ok(self) -> int:
        return self.rows - self.rows_with_issues

    @property
    def ok(self) -> bool:
        return not (self.error or self.missing_columns or self.rows_with_issues)

    def add(self, line: int, issues: list[Issue]) -> None:
        if issues:
            self.rows_with_issues += 1
        for issue in issues:
            key = (issue.field, issue.kind)
            if key not in self.findings:
                self.findings[key] = Finding(issue.field, issue.column, issue.kind)
            self.findings[key].add(issue, line)

    def add_malformed(self, line: int) -> None:
        self.rows_with_issues += 1
        self.malformed += 1
        if len(self.malformed_lines) < MAX_EXAMPLES:
            self.malformed_lines.append(line)

    def render(self) -> list[str]:
        out = [f"{self.entity}: {self.path}"]
        if self.error:
            out.append(f"  CANNOT BE READ: {self.error}")
        if self.missing_columns:
            out.append("  missing columns (the loader refuses the file): "
                       + ", ".join(map(quote, self.missing_columns)))
        summary = f"  {_rows(self.rows)}: {self.rows_ok} ok"
        out.append(summary + (f", {self.rows_with_issues} with issues"
                              if self.rows_with_issues else ""))
        if self.malformed:
            out.append(f"  {_rows(self.malformed)} with a different number of fields than the "
                       f"header; {_lines(self.malformed_lines, self.malformed)}")
        order = {target.name: i for i, target in enumerate(MODEL[self.entity])}
        for key in sorted(self.findings, key=lambda k: (order.get(k[0], 99), k[1])):
            out += self.findings[key].render()
        return out


@dataclass
class ValidationReport:
    mapping: CrmMapping
    files: list[FileReport]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.files)

    def render(self) -> str:
        out = [f"Mapping {self.mapping.path} (crm {self.mapping.crm}, "
               f"time zone {self.mapping.timezone.key})", ""]
        for report in self.files:
            out += [*report.render(), ""]
        if self.ok:
            out.append("OK: every row maps onto the common model.")
        else:
            bad = sum(report.rows_with_issues for report in self.files)
            out.append(f"NOT OK: {_rows(bad)} would be quarantined"
                       + (", and some files cannot load at all" if any(
                           r.error or r.missing_columns for r in self.files) else "")
                       + ". Fix the mapping or the export and run again.")
        return "\n".join(out)


@contextmanager
def _open_csv(path: Path) -> Iterator[TextIO]:
    """UTF-8 text, with or without a BOM, gzipped if the name ends in .gz."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield handle
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            yield handle


def validate(mapping_path: str | Path, files: Mapping[str, Path]) -> ValidationReport:
    """Run each entity's CSV file through the mapping; MappingError if the mapping is broken."""
    mapping = load_mapping(mapping_path)
    for entity in files:
        entity_mapping(mapping, entity)  # a file for an entity the mapping does not describe
    return ValidationReport(mapping, [_check_file(mapping, entity, Path(path))
                                      for entity, path in files.items()])


def _check_file(mapping: CrmMapping, entity: str, path: Path) -> FileReport:
    report = FileReport(entity=entity, path=path)
    line = 0
    try:
        with _open_csv(path) as handle:
            reader = csv.reader(handle, delimiter=mapping.delimiter)
            header = [name.strip() for name in next(reader, [])]
            report.missing_columns = [c for c in required_columns(mapping, entity)
                                      if c not in header]
            missing = set(report.missing_columns)
            for row in reader:
                line = reader.line_num  # the line the row ends on, as the loader records it
                if not any(cell.strip() for cell in row):
                    continue
                report.rows += 1
                if len(row) != len(header):
                    report.add_malformed(line)
                    continue
                _, issues = map_row(mapping, entity, dict(zip(header, row, strict=True)))
                report.add(line, [issue for issue in issues if issue.column not in missing])
    except UnicodeDecodeError as err:
        report.error = f"not UTF-8 after line {line} ({err.reason})"
    except (OSError, EOFError, zlib.error, csv.Error) as err:
        report.error = f"{err} (after line {line})" if line else str(err)
    return report


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="revwh crm-mapping",
        description="Check a CRM export against its mapping before anything is loaded.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "validate", help="report every row that does not map (exit 0 ok, 1 issues, "
                         "2 broken mapping)")
    check.add_argument("--mapping", required=True, type=Path, help="the YAML mapping file")
    check.add_argument("--leads", required=True, type=Path, help="the leads CSV (.csv or .gz)")
    check.add_argument("--deals", type=Path, help="the deals CSV (.csv or .gz)")
    args = parser.parse_args(argv)
    files = {"leads": args.leads, **({"deals": args.deals} if args.deals else {})}
    try:
        report = validate(args.mapping, files)
    except MappingError as err:
        print(f"broken mapping: {err}", file=sys.stderr)
        return 2
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
