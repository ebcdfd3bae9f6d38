"""Run the nightly DAG through Airflow for given days (``dag.test``: Airflow's own task runner
and metadata database, in one process, no scheduler needed). Used by ``revwh run``.

    python -m revwh.ops.dagrun DAY [CONF_JSON]     CONF_JSON: the run's params, e.g.
                                               '{"full_refresh": true, "platforms": ["ga4"]}'
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta

from revwh.core.config import DAGS_DIR

DAG_FILE = DAGS_DIR / "revenue_nightly.py"


def load_dag():
    # dag.test runs one task at a time, in this process, and runs a deferred task's trigger
    # inline: under Cosmos' WATCHER mode a model's task that comes before the one dbt build
    # task would wait for it forever, and LOCAL (a dbt command per model) is ~60x slower than
    # one build. Runs through dag.test build with one task unless told otherwise (see
    # revwh.transform.cosmos_build).
    told = os.environ.get("REVWH_DBT_EXECUTION_MODE")
    os.environ["REVWH_DBT_EXECUTION_MODE"] = told or "single"
    try:
        spec = importlib.util.spec_from_file_location("revenue_nightly", DAG_FILE)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
    finally:
        if told is None:
            del os.environ["REVWH_DBT_EXECUTION_MODE"]
    return module.nightly


def run_day(day: date, conf: dict | None = None) -> str:
    """Run the DAG for the data interval [day, day + 1) with the given params; return the
    run's state."""
    dag = load_dag()
    # A manual run's interval is the last complete one before its logical date.
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    run = dag.test(logical_date=logical, run_conf=conf or None)
    if run.data_interval_start.date() != day:
        raise RuntimeError(f"expected the interval of {day}, got {run.data_interval_start}")
    return str(run.state)


if __name__ == "__main__":
    from revwh.ops import airflow_env

    airflow_env.apply()
    state = run_day(date.fromisoformat(sys.argv[1]),
                    json.loads(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(f"RUN_STATE={state}")
    raise SystemExit(0 if state.endswith("success") else 1)
