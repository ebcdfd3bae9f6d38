"""Writing pulled records into the landing zone exactly as a file drop would.

Each (source, day) is streamed to a staged file beside its final place (a hidden
``.<name>.<id>.partial``, which the extract step never matches), hashed as it is written. Only
when the whole pull of a platform succeeded are the staged files moved into place: the first
pull of a day as ``<name>``, a later pull as ``<stem>__v<tag>.<ext>`` (the tag sorts by pull
time), and a pull identical to the day's newest file is dropped (nothing new to load). A failed
pull removes its staged files, so no partial day ever lands.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import fsspec
import orjson

from revwh.core.sources import Source
from revwh.ingest.extract import _newest

log = logging.getLogger(__name__)


def pull_tag(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")


def versioned(name: str, tag: str) -> str:
    stem, dot, ext = name.partition(".")
    return f"{stem}__v{tag}{dot}{ext}"


@dataclass
class Landed:
    source: str
    day: str
    url: str
    records: int
    bytes: int
    status: str  # new | version | unchanged

    def to_dict(self) -> dict:
        return asdict(self)


class DayFile:
    """One (source, day)'s staged file: write records (dicts for JSONL), CSV rows or raw bytes;
    nothing is held in memory beyond the write buffer."""

    def __init__(self, fs, folder: str, source: Source, day: date) -> None:
        self.fs, self.folder, self.source, self.day = fs, folder, source, day
        self.name = source.name_for(day)
        self.staged = f"{folder}/.{self.name}.{uuid.uuid4().hex[:8]}.partial"
        fs.makedirs(folder, exist_ok=True)
        self._handle = fs.open(self.staged, "wb")
        self.sha, self.bytes, self.records = hashlib.sha256(), 0, 0
        self._csv: csv.writer | None = None

    def write_bytes(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self.sha.update(chunk)
        self.bytes += len(chunk)

    def write_record(self, record: dict) -> None:
        self.write_bytes(orjson.dumps(record) + b"\n")
        self.records += 1

    def write_csv_row(self, row: list, header: bool = False) -> None:
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\r\n").writerow(row)
        self.write_bytes(out.getvalue().encode("utf-8"))
        self.records += 0 if header else 1

    def mark(self) -> tuple:
        """Where the file stands, to rewind to if what follows must be written again."""
        return self._handle.tell(), self.sha.copy(), self.bytes, self.records

    def rewind(self, mark: tuple) -> None:
        position, sha, size, records = mark
        self._handle.seek(position)
        self._handle.truncate()
        self.sha, self.bytes, self.records = sha.copy(), size, records

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.close()


@contextlib.contextmanager
def taken_back_on_failure(staged) -> Iterator[None]:
    """What the block writes to `staged` (a DayFile, or anything with mark and rewind) stays
    only if the block ends well: a stream that fails half-way is rewound out of it, so its
    retry writes it again from where it started."""
    mark = staged.mark()
    try:
        yield
    except BaseException:
        staged.rewind(mark)
        raise


@dataclass
class LandingBatch:
    """Every staged file of one platform's pull, landed together or not at all."""

    landing_url: str
    tag: str = field(default_factory=pull_tag)
    files: list[DayFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fs, self.root = fsspec.core.url_to_fs(self.landing_url)

    def open(self, source: Source, day: date) -> DayFile:
        folder = f"{self.root.rstrip('/')}/{source.partition_path(day)}"
        staged = DayFile(self.fs, folder, source, day)
        self.files.append(staged)
        return staged

    def has_landed(self, source: Source) -> bool:
        """Whether any file of the source is in the landing zone already."""
        folder = f"{self.root.rstrip('/')}/{source.platform}/{source.entity}"
        if not self.fs.exists(folder):
            return False
        return any(not path.rsplit("/", 1)[-1].startswith(".")
                   for path in self.fs.glob(f"{folder}/dt=*/*"))

    def pulled_at(self, source: Source, day: date) -> datetime | None:
        """When the newest landed file of (source, day) was pulled: its tag's time, or the
        file's modification time; None when the day has no file."""
        folder = f"{self.root.rstrip('/')}/{source.partition_path(day)}"
        try:
            names = [p.rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False)]
        except FileNotFoundError:
            return None
        newest = _newest(names, source.name_for(day))
        if newest is None:
            return None
        tag = newest.rsplit("__v", 1)[1].split(".")[0] if "__v" in newest else None
        for layout in ("%Y%m%dT%H%M%S", "%Y%m%d"):
            try:
                return datetime.strptime(tag or "", layout).replace(tzinfo=UTC)
            except ValueError:
                continue
        modified = self.fs.modified(f"{folder}/{newest}")
        return modified if modified.tzinfo else modified.replace(tzinfo=UTC)

    def _newest_sha(self, folder: str, name: str) -> tuple[str | None, str | None]:
        try:
            names = [p.rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False)]
        except FileNotFoundError:
            return None, None
        newest = _newest(names, name)
        if newest is None:
            return None, None
        sha = hashlib.sha256()
        with self.fs.open(f"{folder}/{newest}", "rb") as handle:
            if newest.endswith(".gz"):
                import gzip

                handle = gzip.GzipFile(fileobj=handle)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                sha.update(chunk)
        return newest, sha.hexdigest()

    def commit(self) -> list[Landed]:
        landed = []
        for staged in self.files:
            staged.close()
            newest, sha = self._newest_sha(staged.folder, staged.name)
            key = staged.source.key
            if sha is not None and sha == staged.sha.hexdigest():
                self.fs.rm(staged.staged)
                landed.append(Landed(key, staged.day.isoformat(), f"{staged.folder}/{newest}",
                                     staged.records, staged.bytes, "unchanged"))
                continue
            name = staged.name if newest is None else versioned(staged.name, self.tag)
            final = f"{staged.folder}/{name}"
            self.fs.mv(staged.staged, final)
            landed.append(Landed(key, staged.day.isoformat(), final, staged.records,
                                 staged.bytes, "new" if newest is None else "version"))
        self.files.clear()
        return landed

    def abort(self) -> None:
        for staged in self.files:
            staged.close()
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(staged.staged)
        self.files.clear()
