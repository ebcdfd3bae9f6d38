"""Where the simulated platforms' files go: the landing layout, ``<platform>/<entity>/dt=YYYY-MM-DD/
<file>`` (revwh.core.sources), a restated pull beside the first as ``<stem>__vYYYYMMDD.<ext>``,
and the timestamp formats the platforms' APIs write."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from revwh.simulate.company import (
    Company,
)

GA4_STREAM_ID = "4829117301"
GA4_TIME_ZONE = "America/New_York"
SITE = "https://www.acme-analytics.example"


class Landing:
    """Collects each file's rows, then writes them; days outside the range are dropped."""

    def __init__(self, root: Path, company: Company) -> None:
        self.root, self.company = root, company
        self.files: dict[tuple[str, str, date, str], list] = defaultdict(list)
        self.csv_headers: dict[tuple[str, str], list[str]] = {}
        self.written: Counter[str] = Counter()
        self.days = [company.config.start + timedelta(days=n) for n in range(company.config.days)]

    def add(self, platform: str, entity: str, day: date, name: str, rows: Iterable) -> None:
        if self.company.config.start <= day < self.company.config.end:
            self.files[(platform, entity, day, name)].extend(rows)

    def touch(self, platform: str, entity: str, name: str) -> None:
        """Every day has a file, empty if nothing changed (an incremental extract)."""
        for day in self.days:
            self.files.setdefault((platform, entity, day, name.format(day=day)), [])

    def write(self) -> Counter:
        counts: Counter[str] = self.written
        for (platform, entity, day, name), rows in sorted(self.files.items(),
                                                           key=lambda kv: kv[0][:3] + (kv[0][3],)):
            self._write_file(platform, entity, day, name, rows)
            counts[platform] += len(rows)
        return counts

    def write_now(self, platform: str, entity: str, day: date, name: str, rows: list) -> None:
        """Write one file at once (the large GA4 days), so memory holds one day at a time."""
        if self.company.config.start <= day < self.company.config.end:
            self._write_file(platform, entity, day, name, rows)
            self.written[platform] += len(rows)

    def _write_file(self, platform: str, entity: str, day: date, name: str, rows: list) -> None:
        folder = self.root / platform / entity / f"dt={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv") and (platform, entity) not in self.csv_headers:
            (folder / name).write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
        elif name.endswith(".csv"):
            header = self.csv_headers[(platform, entity)]
            extra = sorted({k for row in rows for k in row} - set(header) - {"__raw__"})
            out = io.StringIO(newline="")
            writer = csv.writer(out, lineterminator="\r\n" if platform == "salesforce"
                                else "\n")
            writer.writerow(header + extra)
            for row in rows:
                if "__raw__" in row:  # a malformed row, written as it came
                    out.write(row["__raw__"] + "\r\n")
                    continue
                writer.writerow([csv_value(row.get(k)) for k in header + extra])
            (folder / name).write_text(out.getvalue(), encoding="utf-8", newline="")
        else:
            with open(folder / name, "w", encoding="utf-8", newline="\n") as handle:
                for row in rows:
                    handle.write(row if isinstance(row, str) else
                                 json.dumps(row, separators=(",", ":"), ensure_ascii=False))
                    handle.write("\n")


def csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def versioned(name: str, pulled: date) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}__v{pulled:%Y%m%d}{dot}{ext}"


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso_ms(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
