"""Find each day's extract in the landing location (a folder, or any fsspec URL such as s3://).

Landed files are never modified: the warehouse only reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import fsspec

from revwh.errors import ExtractMissing
from revwh.sources import Source


@dataclass(frozen=True)
class LandedFile:
    source: str
    day: str  # ISO date of the partition
    url: str
    size: int

    def to_dict(self) -> dict:
        return asdict(self)


def _join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


def locate(source: Source, day: date, landing_url: str) -> LandedFile:
    """The day's file for a source, checked to exist and be readable.

    Accepts the plain file or the same name with ``.gz``. Raises ExtractMissing naming the
    source, the day and the expected location otherwise.
    """
    fs, root = fsspec.core.url_to_fs(landing_url)
    folder = _join(root, source.partition_path(day))
    name = source.file_name(day)
    for candidate in (_join(folder, name), _join(folder, name + ".gz")):
        if fs.isfile(candidate):
            try:
                with fs.open(candidate, "rb") as handle:
                    handle.read(1)
            except OSError as err:
                raise ExtractMissing(
                    f"{source.key}: the extract for {day} at {candidate} cannot be read: {err}"
                ) from err
            url = candidate if "://" not in landing_url else fs.unstrip_protocol(candidate)
            return LandedFile(source.key, day.isoformat(), url, int(fs.size(candidate)))
    raise ExtractMissing(
        f"{source.key}: no extract for {day}: expected {name} (or {name}.gz) in "
        f"{_join(landing_url, source.partition_path(day))}"
    )
