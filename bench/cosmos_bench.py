"""Cosmos execution-mode benchmark (``make bench-cosmos``): the nightly dbt build of one day as
Cosmos ``LOCAL`` (a dbt command per model task) vs ``WATCHER`` (one ``dbt build``, the model
tasks watch it) vs the former single ``dbt build`` task, side by side in one run, each on a
fresh warehouse loaded with the same day.

- ``single``: the DAG's work for the day in one process (bench/airflow_bench.py's in-process
  day); its ``dbt build`` (``revwh.ops.pipeline.build_marts``, the ``transform`` task's) timed
  alone.
- ``local`` / ``watcher``: the DAG through Airflow for real (API server, scheduler with the
  LocalExecutor, DAG processor, triggerer; REVWH_DBT_EXECUTION_MODE), triggered through the
  REST API; from the run's metadata: the dbt phase's wall time (first ``dbt_build`` task's start
  to the last one's end), the sum of the dbt tasks' own durations, the run's wall time.

Every mode's audit marts are compared row for row with the single build's. Prints the figures;
docs/benchmarks.md records them. Scratch databases (revwh_bench_cosmos_*) live on the
warehouse's server (WAREHOUSE_URL, or the embedded PostgreSQL) and are dropped at the end.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

# bench/ is on sys.path: Python puts the running script's folder there
from airflow_bench import _drop, _seconds, _stack, bench_in_process

from revwh.ops.airflow_services import AirflowServiceError
from revwh.publish.checksums import mart_checksums

ROOT = Path(__file__).resolve().parents[1]

DAG_ID = "revenue_nightly"
START = date(2026, 9, 1)
GROUP = "dbt_build"
KEEP_LOGS: Path | None = None


def bench_single(landing: Path, scratch: Path, made: list[str]) -> dict:
    """The DAG's work in one process (airflow_bench's in-process day): its dbt build alone."""
    own, url = bench_in_process(landing, scratch, made)
    return {"dbt build (one command)": own["transform"],
            "audit checksums": mart_checksums(url, schema="audit")}


def bench_airflow(mode: str, landing: Path, scratch: Path, made: list[str]) -> dict:
    name = f"cosmos_{mode}"
    services, url = _stack(name, landing, scratch, made, {"REVWH_DBT_EXECUTION_MODE": mode})
    home = scratch / name  # _stack's REVWH_HOME
    try:
        run = services.trigger(DAG_ID, START)
        try:
            services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=7200)
            failure = ""
        except AirflowServiceError as error:
            failure = str(error)
        done = next(r for r in services.runs(DAG_ID) if r["dag_run_id"] == run["dag_run_id"])
        tis = services.task_instances(DAG_ID, run["dag_run_id"])
    finally:
        services.stop()
        if KEEP_LOGS:  # the components' and the tasks' logs, for a look after the run
            shutil.copytree(home / "logs", KEEP_LOGS / mode / "components", dirs_exist_ok=True)
            shutil.copytree(home / "airflow" / "logs", KEEP_LOGS / mode / "tasks",
                            dirs_exist_ok=True)
    dbt = [ti for ti in tis if ti["task_id"].startswith(f"{GROUP}.")]
    timed = [ti for ti in dbt if ti["start_date"] and ti["end_date"]]
    figures = {
        "run state": done["state"],
        "dbt tasks": len(dbt),
        "task states (all tasks)": dict(Counter(ti["state"] for ti in tis)),
        "dbt phase wall time": _seconds(min(t["start_date"] for t in timed),
                                        max(t["end_date"] for t in timed)) if timed else 0.0,
        "sum of dbt tasks' durations": sum(_seconds(t["start_date"], t["end_date"])
                                           for t in timed),
        "run wall time": _seconds(done["start_date"], done["end_date"]),
        "audit checksums": mart_checksums(url, schema="audit"),
    }
    if failure:
        figures["failure"] = failure[-3000:]
        figures["unfinished or failed tasks"] = sorted(
            f"{ti['task_id']}={ti['state']}" for ti in tis
            if ti["state"] not in ("success", "skipped"))[:40]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="size of the simulated company")
    parser.add_argument("--modes", default="single,local,watcher")
    parser.add_argument("--keep-logs", type=Path, help="copy each Airflow run's logs here")
    args = parser.parse_args()
    global KEEP_LOGS
    KEEP_LOGS = args.keep_logs

    from revwh.core.config import apply_telemetry_off
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    apply_telemetry_off()
    made: list[str] = []
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="revwh-bench-cosmos-") as folder:
        scratch = Path(folder)
        landing = scratch / "landing"
        write_extracts(Company(SimConfig(start=START, days=1, seed=42, scale=args.scale)),
                       landing, crm="hubspot")
        try:
            for mode in args.modes.split(","):
                began = time.monotonic()
                results[mode] = (bench_single(landing, scratch, made) if mode == "single"
                                 else bench_airflow(mode, landing, scratch, made))
                print(f"{mode}: done in {time.monotonic() - began:.0f} s", flush=True)
        finally:
            for url in made:
                _drop(url)
    reference = results.get("single", {}).get("audit checksums")
    print(f"\nThe nightly dbt build of {START} (scale {args.scale}), seconds:")
    for mode, figures in results.items():
        print(f"  {mode}:")
        for key, value in figures.items():
            if key == "audit checksums":
                if reference and mode != "single":
                    print(f"    {'audit marts = single build':<32} {value == reference}")
                continue
            shown = f"{value:8.1f}" if isinstance(value, float) else value
            print(f"    {key:<32} {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
