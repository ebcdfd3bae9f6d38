"""The simulated company's records as the fakes serve them: the simulator's own landing output
(revwh.simulate.writers), read back per platform, entity and day (the newest pull of a day is
what the API returns now)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts

_VERSION = re.compile(r"__v([0-9A-Za-z_-]+)\.")


class SimStore:
    """Records of a landing folder the simulator wrote (or writes, given a config). Nothing
    is held in memory: each request reads its day's file (the simulated company is not kept
    once its files are written)."""

    def __init__(self, root: Path, config: SimConfig | None = None) -> None:
        self.root = Path(root)
        if config is not None:
            write_extracts(Company(config), self.root)

    def days(self, platform: str, entity: str) -> list[date]:
        folder = self.root / platform / entity
        if not folder.exists():
            return []
        return sorted(date.fromisoformat(p.name[3:]) for p in folder.iterdir()
                      if p.name.startswith("dt="))

    def file(self, platform: str, entity: str, day: date) -> Path | None:
        """The newest pull of the day: the base file, or the version with the latest tag."""
        folder = self.root / platform / entity / f"dt={day.isoformat()}"
        if not folder.exists():
            return None
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        if not files:
            return None

        def order(path: Path) -> tuple[str, str]:
            match = _VERSION.search(path.name)
            return (match.group(1) if match else "", path.name)

        return max(files, key=order)

    def records(self, platform: str, entity: str, day: date) -> Iterator[dict]:
        """A JSONL day's records as the API would return them (a line cut off in the file, a
        deliberate mess of the simulator, is not something an API returns: skipped)."""
        path = self.file(platform, entity, day)
        if path is None:
            return
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def text(self, platform: str, entity: str, day: date) -> str | None:
        path = self.file(platform, entity, day)
        return path.read_text(encoding="utf-8") if path else None
