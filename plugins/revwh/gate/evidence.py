"""Each run's audit evidence, kept in one folder per run (REVWH_EVIDENCE_DIR/<run id>/):

    gx/index.html           Great Expectations Data Docs of the run's validations
    gx/validations/*.json   each validation result as GX wrote it (every expectation, its
                            observed values and unexpected rows)
    gx/suites/*.json        the suites as they ran (generated ones included)
    dbt/static_index.html   dbt docs of the build (one file, opens without a server), with
                            index.html, manifest.json and catalog.json beside it
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from revwh.core.config import settings

DOCS_SITE = "evidence"
DBT_DOCS_FILES = ("static_index.html", "index.html", "manifest.json", "catalog.json")


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
    return folder / "index.html"


def copy_dbt_docs(run_id: str) -> Path:
    """Copy the dbt docs just generated (in the dbt target folder) into the run's folder."""
    source = settings().dbt_target_dir
    folder = run_folder(run_id) / "dbt"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in DBT_DOCS_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, folder / name)
    page = folder / "static_index.html"
    return page if page.exists() else folder / "index.html"


def link(path: Path) -> str:
    return path.resolve().as_uri()
