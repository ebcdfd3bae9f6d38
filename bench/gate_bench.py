"""Gate benchmark: the Great Expectations gate against the dbt build it guards, in one run.

    .venv/bin/python bench/gate_bench.py --days 365 [--scale 1.0]

Generates DAYS of the simulated company, loads every day into a scratch database
(revwh_bench_gate on the WAREHOUSE_URL server, or the embedded PostgreSQL), times ``dbt build``
(every model and dbt test), then the gate for the last day as the DAG's audit task runs it
(runner.run_audit: GX, every suite, the evidence and Data Docs), then ``dbt docs generate``
for the evidence. Target: gate <= 20% of the dbt build.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DATABASE = "revwh_bench_gate"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    args = parser.parse_args()

    import os

    import psycopg
    from psycopg import sql

    from revwh.core.config import apply_telemetry_off
    from revwh.core.sources import ALL_SOURCES, active_crm
    from revwh.gate import runner
    from revwh.ingest.extract import locate
    from revwh.ingest.load import load_file
    from revwh.ops import pipeline
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts
    from revwh.transform.dbt_runner import run_dbt
    from revwh.warehouse.connection import _with_database, warehouse_url

    apply_telemetry_off()
    url = _with_database(warehouse_url(), DATABASE)
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(DATABASE)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    os.environ["WAREHOUSE_URL"] = url
    work = Path(tempfile.mkdtemp(prefix="revwh-gate-bench-"))
    os.environ["REVWH_HOME"] = str(work / "home")
    landing = work / "landing"
    began = time.perf_counter()
    write_extracts(Company(SimConfig(start=args.start, days=args.days, seed=42,
                                     scale=args.scale)), landing, crm=active_crm())
    wrote = time.perf_counter() - began
    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        for source in ALL_SOURCES:
            if source.platform not in ("google_ads", "meta_ads", "linkedin_ads", "ga4", "ecb",
                                       active_crm()):
                continue
            for offset in range(args.days):
                day = args.start + timedelta(days=offset)
                load_file(conn, source, day, locate(source, day, str(landing)).url)
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    run_dbt(["build"], url=url)
    build = time.perf_counter() - began
    last = args.start + timedelta(days=args.days - 1)
    start = datetime(last.year, last.month, last.day, tzinfo=UTC)
    began = time.perf_counter()
    report = runner.run_audit(start, start + timedelta(days=1), "bench", url)
    gate = time.perf_counter() - began
    began = time.perf_counter()
    pipeline.document_build("bench")
    docs = time.perf_counter() - began
    with psycopg.connect(url) as conn:
        people, ads = conn.execute(
            "select (select count(*) from audit.dim_people),"
            " (select count(*) from audit.ad_performance_daily)").fetchone()
    print(f"{args.days} days at scale {args.scale}: {people:,} people, {ads:,} ad-day rows")
    print(f"  write extracts {wrote:8.1f} s   load {loaded:8.1f} s")
    print(f"  dbt build      {build:8.1f} s")
    print(f"  gate           {gate:8.1f} s   {len(report.checks)} checks, "
          f"{gate / build:.1%} of the dbt build (target <= 20%)")
    print(f"  dbt docs       {docs:8.1f} s   (evidence, after the gate)")
    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(DATABASE)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
