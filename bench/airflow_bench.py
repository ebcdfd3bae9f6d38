"""Airflow benchmark (``make bench-airflow``): what orchestration costs, and what parallel runs buy.

1. **A nightly run's overhead.** One day through Airflow for real (API server, scheduler with the
   LocalExecutor, DAG processor), triggered through the REST API. Compared, from the same run's
   metadata: the run's wall time (start to end) against its tasks' own work (each task
   instance's duration: the longest extract -> load chain, then the build lease, dbt build,
   gate, publish and summary, back to back; the dbt build is a task per model, counted by its
   span). And against the same work called in one process
   (the revwh.ops.pipeline functions the tasks call, one after another, no Airflow) on a fresh
   warehouse. Target: wall time <= 1.5x the tasks' own work.
2. **A backfill, parallel vs one run after another.** The same --days days backfilled through
   the REST API into two fresh warehouses, once with --parallel runs at once and once with
   max_active_runs=1: the wall time from the backfill's creation to its last run's end, and the
   two warehouses' marts compared row for row.

Prints the figures; docs/benchmarks.md records them. Scratch databases (revwh_bench_*) live on
the warehouse's server (WAREHOUSE_URL, or the embedded PostgreSQL) and are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from revwh.ops.airflow_services import AirflowServices, airflow_bin, free_port, services_env  # noqa: E402
from revwh.publish.checksums import differing_marts, mart_checksums  # noqa: E402

DAG_ID = "revenue_nightly"
START = date(2026, 9, 1)


def _server_db(name: str) -> str:
    import psycopg
    from psycopg import sql

    from revwh.warehouse.connection import _with_database, warehouse_url

    url = _with_database(warehouse_url(), name)
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return url


def _drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    from revwh.warehouse.connection import _with_database

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))


def _airflow_db(name: str, made: list[str]) -> str:
    url = _server_db(name)
    made.append(url)
    airflow_url = url.replace("postgresql://", "postgresql+psycopg2://", 1)
    result = subprocess.run([airflow_bin(), "db", "migrate"], capture_output=True, text=True,
                            env={**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_url})
    if result.returncode:
        raise SystemExit(result.stdout[-2000:] + result.stderr[-2000:])
    return airflow_url


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


PII_SALT = secrets.token_hex(16)


def _stack(name: str, landing: Path, scratch: Path, made: list[str],
           extra: dict[str, str] | None = None) -> tuple[AirflowServices, str]:
    from revwh.ops.airflow_env import airflow_env

    url = _server_db(f"revwh_bench_{name}")
    made.append(url)
    home = scratch / name
    base = {**os.environ, **airflow_env(), "WAREHOUSE_URL": url, "REVWH_HOME": str(home),
            "LANDING_URL": str(landing), "CRM": "hubspot",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _airflow_db(f"revwh_bench_{name}_af", made),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # the warehouses compared row for row share one salt of the person keys (each
            # REVWH_HOME would otherwise generate its own, and every person key would differ)
            "REVWH_PII_SALT": PII_SALT, **(extra or {})}
    env = services_env(base, home / "airflow", free_port())
    services = AirflowServices.start(env, [["api-server"], ["scheduler"], ["dag-processor"],
                                           ["triggerer"]],
                                     home / "logs", migrate=False)
    services.wait_ready(DAG_ID)
    services.unpause(DAG_ID)
    return services, url


def critical_path(tis: dict[str, dict]) -> dict[str, float]:
    durations = {task: _seconds(ti["start_date"], ti["end_date"]) for task, ti in tis.items()
                 if ti["start_date"] and ti["end_date"]}
    chains = {task[len("load_"):]: durations.get(f"extract_{task[len('load_'):]}", 0) + value
              for task, value in durations.items() if task.startswith("load_")}
    # the dbt build: one `transform` task (REVWH_DBT_EXECUTION_MODE=single), or a task per model
    # (Cosmos, group dbt_build), counted by its span, first start to last end, with its own
    # scheduling gaps inside
    dbt = [ti for task, ti in tis.items() if task.startswith("dbt_build.")
           and ti["start_date"] and ti["end_date"]]
    if dbt:
        build = {f"dbt_build ({len(dbt)} tasks, span)": _seconds(
            min(ti["start_date"] for ti in dbt), max(ti["end_date"] for ti in dbt))}
    else:
        build = {"transform": durations["transform"]}
    steps = {"extract+load (longest platform)": max(chains.values()),
             "claim_build": durations["claim_build"], **build,
             **{task: durations[task] for task in ("audit", "publish")},
             "summary | release_build": max(durations["summary"], durations["release_build"])}
    extra = {"dbt_build: sum of its tasks' durations": sum(
        durations[task] for task in durations if task.startswith("dbt_build."))} if dbt else {}
    return {**steps, "critical path": sum(steps.values()), **extra,
            "sum of all tasks": sum(durations.values())}


def bench_nightly(landing: Path, scratch: Path, made: list[str]) -> dict:
    services, _ = _stack("nightly", landing, scratch, made)
    try:
        run = services.trigger(DAG_ID, START)
        done = services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=7200)[0]
        tis = {ti["task_id"]: ti for ti in services.task_instances(DAG_ID, run["dag_run_id"])}
    finally:
        services.stop()
    figures = critical_path(tis)
    figures["run wall time"] = _seconds(done["start_date"], done["end_date"])
    return figures


def bench_in_process(landing: Path, scratch: Path, made: list[str]) -> tuple[dict, str]:
    """The in-process day's timings, and its warehouse's URL."""
    url = _server_db("revwh_bench_inprocess")
    made.append(url)
    env = {**os.environ, "WAREHOUSE_URL": url, "REVWH_HOME": str(scratch / "inprocess"),
           "LANDING_URL": str(landing), "CRM": "hubspot", "REVWH_PII_SALT": PII_SALT}
    result = subprocess.run([sys.executable, __file__, "--in-process-day", START.isoformat()],
                            env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1]), url


def in_process_day(day: date) -> dict:
    """The DAG's work for one day, function after function, in this process."""
    from datetime import UTC

    from revwh.ops import pipeline
    from revwh.ops.dagrun import load_dag

    platforms = load_dag().params["platforms"]
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    timings: dict[str, float] = {}
    began = time.monotonic()
    for platform in platforms:
        files = pipeline.extract_platform(platform, start, end)
        pipeline.load_platform(platform, files, run_id="bench")
    timings["extract+load (all platforms, one after another)"] = time.monotonic() - began
    assert pipeline.claim_build("bench")
    for step, call in (("transform", lambda: pipeline.build_marts()),
                       ("audit", lambda: pipeline.audit_marts(start, end, "bench")),
                       ("publish", lambda: pipeline.publish_marts(start, end, "bench"))):
        began_step = time.monotonic()
        call()
        timings[step] = time.monotonic() - began_step
    pipeline.release_build("bench")
    timings["total"] = time.monotonic() - began
    return timings


def bench_backfill(landing: Path, scratch: Path, days: int, parallel: int, made: list[str]
                   ) -> dict:
    figures = {}
    checksums = {}
    for label, runs_at_once in (("parallel", parallel), ("serial", 1)):
        services, url = _stack(f"backfill_{label}", landing, scratch, made)
        try:
            began = time.monotonic()
            services.backfill(DAG_ID, START, START + timedelta(days=days - 1), runs_at_once)
            runs = services.wait_for_runs(DAG_ID, count=days, timeout=6 * 3600, poll=10)
            figures[f"{label} (max_active_runs={runs_at_once})"] = time.monotonic() - began
            figures[f"{label}: runs' own wall time, summed"] = sum(
                _seconds(r["start_date"], r["end_date"]) for r in runs)
        finally:
            services.stop()
        checksums[label] = mart_checksums(url)
    differing = differing_marts(checksums["parallel"], checksums["serial"])
    figures["identical marts"] = not differing
    if differing:
        figures["marts that differ"] = ", ".join(differing)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30, help="days of the backfill")
    parser.add_argument("--parallel", type=int, default=4, help="runs at once in the backfill")
    parser.add_argument("--scale", type=float, default=0.1, help="size of the simulated company")
    parser.add_argument("--skip-nightly", action="store_true")
    parser.add_argument("--skip-backfill", action="store_true")
    parser.add_argument("--in-process-day", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_day:
        print(json.dumps(in_process_day(args.in_process_day)))
        return 0

    from revwh.core.config import apply_telemetry_off
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    apply_telemetry_off()
    made: list[str] = []
    with tempfile.TemporaryDirectory(prefix="revwh-bench-airflow-") as folder:
        scratch = Path(folder)
        landing = scratch / "landing"
        write_extracts(Company(SimConfig(start=START, days=max(args.days, 1), seed=42,
                                         scale=args.scale)), landing, crm="hubspot")
        try:
            if not args.skip_nightly:
                nightly = bench_nightly(landing, scratch, made)
                own, _ = bench_in_process(landing, scratch, made)
                print(f"\nOne nightly run ({START}, scale {args.scale}), seconds:")
                for key, value in nightly.items():
                    print(f"  {key:<40} {value:8.1f}")
                print("  same work in one process, no Airflow:")
                for key, value in own.items():
                    print(f"    {key:<48} {value:8.1f}")
                wall = nightly["run wall time"]
                print(f"  run wall time / tasks' critical path: "
                      f"{wall / nightly['critical path']:.2f}x (target <= 1.5x)")
                print(f"  run wall time / in-process work:      {wall / own['total']:.2f}x")
            if not args.skip_backfill:
                backfill = bench_backfill(landing, scratch, args.days, args.parallel, made)
                print(f"\nBackfill of {args.days} days (scale {args.scale}):")
                for key, value in backfill.items():
                    shown = value if isinstance(value, bool | str) else f"{value:8.1f} s"
                    print(f"  {key:<44} {shown}")
                keys = [k for k in backfill if k.startswith(("parallel (", "serial ("))]
                print(f"  speed-up: {backfill[keys[1]] / backfill[keys[0]]:.2f}x")
        finally:
            for url in made:
                _drop(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
