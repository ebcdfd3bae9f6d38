"""Loader benchmark: the project's loader vs raw COPY FROM STDIN vs pandas to_sql(method="multi").

Run with ``make bench``. On the same generated GA4 export file (the largest source), at 1x and
10x scale, each method runs in its own process (so peak memory is its own) against the warehouse
(WAREHOUSE_URL, or the embedded PostgreSQL) in a scratch database. Prints rows/s, peak RSS and the
ratios the targets are stated in: loader >= 0.8x raw COPY, >= 10x to_sql, peak memory flat from
1x to 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DAY = date(2026, 9, 1)
DATABASE = "revwh_bench"


def _url() -> str:
    from revwh.warehouse.connection import _with_database, ensure_database, warehouse_url

    url = _with_database(warehouse_url(), DATABASE)
    ensure_database(url)
    return url


def _fresh_table(conn, name: str, column_type: str = "jsonb") -> None:
    conn.execute(f"drop table if exists bench_{name}")
    conn.execute(f"create table bench_{name} (record {column_type})")
    conn.commit()


def run_loader(url: str, path: str) -> int:
    import psycopg

    from revwh.core.sources import SOURCES
    from revwh.ingest.load import load_file
    from revwh.warehouse import schema

    with psycopg.connect(url) as conn:
        schema.ensure(conn)  # once per process: not part of loading a file
        conn.execute("truncate raw_ga4.events")
        conn.commit()
        started = time.perf_counter()
        result = load_file(conn, SOURCES["ga4__events"], DAY, path)
    return result.rows_loaded, time.perf_counter() - started


def run_copy(url: str, path: str) -> int:
    """Raw COPY: the file's bytes streamed as they are into a jsonb column (no Python parsing).
    CSV format with quote and delimiter characters that cannot occur in JSON text."""
    import psycopg

    with psycopg.connect(url) as conn:
        _fresh_table(conn, "copy")
        started = time.perf_counter()
        with conn.cursor().copy("copy bench_copy (record) from stdin with (format csv, "
                                "quote e'\\x01', delimiter e'\\x02')") as copy, \
                open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute("select count(*) from bench_copy").fetchone()[0]
    return rows, seconds


def run_to_sql(url: str, path: str) -> int:
    """pandas: the records parsed into a DataFrame, written to the same jsonb column type."""
    import pandas as pd
    import sqlalchemy
    from sqlalchemy.dialects.postgresql import JSONB

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql("drop table if exists bench_to_sql")
    started = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        frame = pd.DataFrame({"record": [json.loads(line) for line in handle if line.strip()]})
    frame.to_sql("bench_to_sql", engine, index=False, method="multi", chunksize=1000,
                 dtype={"record": JSONB})
    seconds = time.perf_counter() - started
    engine.dispose()
    return len(frame), seconds


METHODS = {"loader": run_loader, "copy": run_copy, "to_sql": run_to_sql}


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(method: str, url: str, path: str) -> None:
    started = time.perf_counter()
    rows, timed = METHODS[method](url, path)
    seconds = timed if timed is not None else time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": _peak_mb()}))


def measure(method: str, url: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", method, url, str(path)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{method} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(folder: Path, scale: float) -> Path:
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    write_extracts(Company(SimConfig(start=DAY, days=1, seed=42, scale=scale, mess=False)),
                   folder, crm="hubspot")
    return folder / "ga4" / "events" / f"dt={DAY}" / f"events_{DAY:%Y%m%d}.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "URL", "PATH"))
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method; best is kept")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    url = _url()
    results: dict[float, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="revwh-bench-") as tmp:
        for scale in (float(s) for s in args.scales.split(",")):
            path = generate(Path(tmp) / f"x{scale:g}", scale)
            size_mb = path.stat().st_size / 1e6
            results[scale] = {}
            for method in METHODS:
                runs = [measure(method, url, path) for _ in range(
                    1 if method == "to_sql" else args.repeat)]
                best = min(runs, key=lambda r: r["seconds"])
                best["peak_mb"] = max(r["peak_mb"] for r in runs)
                best["rows_per_s"] = best["rows"] / best["seconds"]
                results[scale][method] = best
            print(f"\nGA4 events file at {scale:g}x: {results[scale]['copy']['rows']:,} rows, "
                  f"{size_mb:,.1f} MB")
            print(f"  {'method':<8} {'rows/s':>12} {'seconds':>9} {'peak MB':>9}")
            for method, r in results[scale].items():
                print(f"  {method:<8} {r['rows_per_s']:>12,.0f} {r['seconds']:>9.2f} "
                      f"{r['peak_mb']:>9.1f}")
            r = results[scale]
            loader = r["loader"]["rows_per_s"]
            print(f"  loader / raw COPY throughput: {loader / r['copy']['rows_per_s']:.2f}x"
                  " (target >= 0.8x)")
            print(f"  loader / to_sql throughput:   {loader / r['to_sql']['rows_per_s']:.1f}x"
                  " (target >= 10x)")
    scales = sorted(results)
    if len(scales) > 1:
        low, high = results[scales[0]]["loader"], results[scales[-1]]["loader"]
        print(f"\nloader peak memory {scales[0]:g}x -> {scales[-1]:g}x: {low['peak_mb']:.1f} MB ->"
              f" {high['peak_mb']:.1f} MB ({high['peak_mb'] / low['peak_mb']:.2f}x; flat is 1.0x)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    raise SystemExit(main())
