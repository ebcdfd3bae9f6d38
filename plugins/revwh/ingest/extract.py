"""Find each day's extract in the landing location (a folder, or any fsspec URL such as s3://).

A day's folder holds the first pull (``<stem>.<ext>``) and any later pulls of the same day
(``<stem>__v<tag>.<ext>``, tags sorting by pull time); the newest is the day's truth. Landed
files are never modified: the warehouse only reads them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import fsspec

from revwh.core.errors import ExtractMissing
from revwh.core.sources import Source


@dataclass(frozen=True)
class LandedFile:
    source: str
    day: str  # ISO date of the partition
    url: str
    size: int
    in_interval: bool = True  # False: re-read for the lookback window

    def to_dict(self) -> dict:
        return asdict(self)


def _join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


def _version_pattern(name: str) -> re.Pattern[str]:
    stem, dot, ext = name.partition(".")
    return re.compile(re.escape(stem) + r"(__v[0-9A-Za-z_-]+)?" + re.escape(dot + ext)
                      + r"(\.gz)?$")


def _newest(names: list[str], name: str) -> str | None:
    """The newest pull among a folder's file names: the base file first, then versions by tag."""
    pattern = _version_pattern(name)
    matching = [n for n in names if pattern.fullmatch(n)]
    return max(matching, key=lambda n: (pattern.fullmatch(n).group(1) or "", n)) if matching \
        else None


def locate(source: Source, day: date, landing_url: str, required: bool = True
           ) -> LandedFile | None:
    """The newest landed file for (source, day), checked to exist and be readable.

    Raises ExtractMissing naming the source, the day and the expected location when a required
    day has no file; returns None for a missing optional (lookback) day.
    """
    fs, root = fsspec.core.url_to_fs(landing_url)
    folder = _join(root, source.partition_path(day))
    name = source.name_for(day)
    try:
        names = [entry.rsplit("/", 1)[-1] for entry in fs.ls(folder, detail=False)]
    except FileNotFoundError:
        names = []
    chosen = _newest(names, name)
    if chosen is None:
        if not required:
            return None
        raise ExtractMissing(
            f"{source.key}: no extract for {day}: expected {name} (or {name}.gz) in "
            f"{_join(landing_url, source.partition_path(day))}")
    path = _join(folder, chosen)
    try:
        with fs.open(path, "rb") as handle:
            handle.read(1)
    except OSError as err:
        raise ExtractMissing(
            f"{source.key}: the extract for {day} at {path} cannot be read: {err}") from err
    url = path if "://" not in landing_url else fs.unstrip_protocol(path)
    return LandedFile(source.key, day.isoformat(), url, int(fs.size(path)), required)


def locate_interval(source: Source, days: list[date], landing_url: str) -> list[LandedFile]:
    """The interval's files (each required) and the lookback window's (where present)."""
    lookback = [days[0] - timedelta(days=n) for n in range(source.lookback_days, 0, -1)]
    found = [locate(source, day, landing_url, required=False) for day in lookback]
    found += [locate(source, day, landing_url) for day in days]
    return [f for f in found if f is not None]
