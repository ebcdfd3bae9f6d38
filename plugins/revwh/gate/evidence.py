"""Each run's audit evidence, kept in one folder per run (REVWH_EVIDENCE_DIR/<run id>/):

    gx/index.html           Great Expectations Data Docs of the run's validations
    gx/validations/*.json   each validation result as GX wrote it (every expectation, its
                            observed values and unexpected rows)
    gx/suites/*.json        the suites as they ran (generated ones included)
    gx/static               a link to the Data Docs' static assets (fonts, images, scripts:
                            4.5 MB, the same for every run), kept once in _shared/
    dbt/static_index.html   dbt docs of the build (one file, opens without a server: the
                            manifest and catalog are in it), with catalog.json beside it

Only what differs per run is kept per run (about 5 MB, was 13 MB with the assets, dbt's
index.html and manifest.json copied each time). Evidence expires (``expire``): a run's folder
goes once it is older than REVWH_EVIDENCE_KEEP_DAYS days, unless it is among the
REVWH_EVIDENCE_KEEP_RUNS newest; the current run's always stays.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from revwh.core.config import settings

DOCS_SITE = "evidence"
# dbt's static_index.html holds index.html, manifest.json and catalog.json in one page; the
# catalog (tables, columns, row counts) is kept beside it for tools. Without a static page (an
# older dbt), the three files instead.
DBT_DOCS_FILES = ("static_index.html", "catalog.json")
DBT_DOCS_FALLBACK = ("index.html", "manifest.json", "catalog.json")
SHARED = "_shared"  # assets every run's evidence links to, kept once


def run_folder(run_id: str) -> Path:
    """The run's evidence folder (the run id made safe as a folder name)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"
    return settings().evidence_dir / safe


def gx_folder(run_id: str) -> Path:
    return run_folder(run_id) / "gx"


def start_gx(context: Any, run_id: str) -> Path:
    """Point the context's Data Docs at the run's folder (emptied first: a rerun of the same
    run id replaces its evidence)."""
    folder = gx_folder(run_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context.add_data_docs_site(DOCS_SITE, {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(folder)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    return folder


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


def write_gx(context: Any, run_id: str, suites: list[dict], results: list[tuple[str, Any]]
             ) -> Path:
    """Write the suites and validation results as JSON, build the Data Docs; the index page."""
    folder = gx_folder(run_id)
    (folder / "suites").mkdir(parents=True, exist_ok=True)
    (folder / "validations").mkdir(parents=True, exist_ok=True)
    for suite in suites:
        (folder / "suites" / f"{_name(suite['name'])}.json").write_text(
            json.dumps(suite, indent=2, default=str) + "\n")
    for label, result in results:
        (folder / "validations" / f"{_name(label)}.json").write_text(
            json.dumps(result.to_json_dict(), indent=2, default=str) + "\n")
    context.build_data_docs(site_names=[DOCS_SITE])
    share_static(folder)
    return folder / "index.html"


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def share_static(gx: Path) -> Path | None:
    """Replace the Data Docs' static assets in a run's gx folder by a relative link to one
    shared copy (_shared/gx-static-<digest of the files>); the shared folder."""
    static = gx / "static"
    if not static.is_dir() or static.is_symlink():
        return None
    shared = settings().evidence_dir / SHARED / f"gx-static-{_tree_digest(static)}"
    if not shared.exists():
        shared.parent.mkdir(parents=True, exist_ok=True)
        staging = shared.parent / f".{shared.name}.{uuid.uuid4().hex[:8]}"
        shutil.copytree(static, staging)
        try:
            staging.rename(shared)
        except OSError:  # another run shared the same assets meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(static)
    static.symlink_to(os.path.relpath(shared, gx), target_is_directory=True)
    return shared


def copy_dbt_docs(run_id: str) -> Path:
    """Copy the dbt docs just generated (in the dbt target folder) into the run's folder."""
    source = settings().dbt_target_dir
    folder = run_folder(run_id) / "dbt"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    names = DBT_DOCS_FILES if (source / DBT_DOCS_FILES[0]).exists() else DBT_DOCS_FALLBACK
    for name in names:
        if (source / name).exists():
            shutil.copy2(source / name, folder / name)
    page = folder / "static_index.html"
    return page if page.exists() else folder / "index.html"


def link(path: Path) -> str:
    return path.resolve().as_uri()


def _age_seconds(folder: Path, now: float) -> float:
    """Seconds since the folder or anything directly in it last changed."""
    times = [folder.lstat().st_mtime]
    with contextlib.suppress(OSError):
        times += [entry.lstat().st_mtime for entry in folder.iterdir()]
    return now - max(times)


def expire(current_run_id: str | None = None, keep_days: int | None = None,
           keep_runs: int | None = None, now: float | None = None) -> list[Path]:
    """Delete the evidence of runs older than keep_days (REVWH_EVIDENCE_KEEP_DAYS; 0 keeps
    every run's) that are not among the keep_runs newest (REVWH_EVIDENCE_KEEP_RUNS) nor the
    current run's; then shared assets no run links to any more. The folders deleted."""
    conf = settings()
    keep_days = conf.evidence_keep_days if keep_days is None else keep_days
    keep_runs = conf.evidence_keep_runs if keep_runs is None else keep_runs
    root = conf.evidence_dir
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    current = run_folder(current_run_id) if current_run_id else None
    runs = sorted((p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                   and p.name != SHARED), key=lambda p: _age_seconds(p, now))
    removed = []
    if keep_days:
        for position, folder in enumerate(runs):
            if position < keep_runs or folder == current:
                continue
            if _age_seconds(folder, now) > keep_days * 86400:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    shared = root / SHARED
    if removed and shared.is_dir():
        linked = set()
        for folder in root.iterdir():
            link_path = folder / "gx" / "static"
            if folder.name != SHARED and link_path.is_symlink():
                linked.add((link_path.parent / os.readlink(link_path)).resolve())
        for assets in shared.iterdir():
            # never a copy being shared right now (a dot name, recent)
            if assets.resolve() not in linked and not assets.name.startswith("."):
                shutil.rmtree(assets, ignore_errors=True)
                removed.append(assets)
    return removed
