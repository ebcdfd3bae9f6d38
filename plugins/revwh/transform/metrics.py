"""The semantic layer's command line: MetricFlow's ``mf`` against the warehouse.

    revwh metrics query --metrics spend,mqls --group-by metric_time__week

It runs ``mf`` with this project's dbt profile, its contract vars and its dbt artifacts, and
without mf's update check (which would call out to PyPI on every command).
"""

from __future__ import annotations

import os
import shutil
import sys

from revwh.core.config import DBT_PROJECT_DIR, apply_telemetry_off, settings
from revwh.transform.dbt_runner import dbt_env, run_dbt


def main(argv: list[str] | None = None) -> int:
    apply_telemetry_off()
    os.environ.update(dbt_env())
    os.environ["DBT_PROJECT_DIR"] = str(DBT_PROJECT_DIR)
    os.environ["DBT_PROFILES_DIR"] = str(DBT_PROJECT_DIR)
    # mf reads the semantic manifest from <project>/target: parse there (git-ignored)
    run_dbt(["parse"])
    target = DBT_PROJECT_DIR / "target"
    target.mkdir(exist_ok=True)
    shutil.copy(settings().dbt_target_dir / "semantic_manifest.json",
                target / "semantic_manifest.json")
    import update_checker

    update_checker.UpdateChecker.check = lambda self, *args, **kwargs: None  # no call-out
    from dbt_metricflow.cli.main import cli

    try:
        cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="mf",
                 standalone_mode=False)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
