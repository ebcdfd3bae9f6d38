"""Demo memory benchmark (`make bench-memory`): the peak resident memory of the demo's two
simulator steps, each in a process of its own, for a growing number of days. Goal: flat in
the number of days (the demo needed 10.9 GB at its peak, all of it in the second step).

1. The history export: `revwh generate` of DAYS days (the simulated company, then every
   platform's landing files and the truth).
2. The simulated sources of the nightly day: SimStore writing DAYS + 1 days into its folder,
   every platform's fake started (FakeSuite), then every GA4 table read through the BigQuery
   fake in pages of 2,000 rows, as the pull reads it.

Peak = the process's VmHWM (imports included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

START = date(2026, 8, 10)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _generate(days: int, scale: float, folder: Path) -> dict:
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts

    counts = write_extracts(Company(SimConfig(start=START, days=days, seed=42, scale=scale)),
                            folder / "landing")
    return {"rows": sum(counts.values()), "ga4_rows": counts["ga4"]}


def _fakes(days: int, scale: float, folder: Path) -> dict:
    from revwh.simulate.company import SimConfig
    from revwh.simulate.fakes.store import SimStore
    from revwh.simulate.fakes.suite import GA4_DATASET, GA4_PROJECT, FakeSuite

    store = SimStore(folder / "sim", SimConfig(start=START, days=days + 1, seed=42, scale=scale))
    rows = 0
    with FakeSuite(store, folder / "ca") as suite:
        base = (f"{suite.http['ga4'].url}/bigquery/v2/projects/{GA4_PROJECT}/datasets/"
                f"{GA4_DATASET}/tables")
        for day in store.days("ga4", "events"):
            cursor: str | None = "0"  # tabledata.list's pageToken: the first page
            while cursor is not None:
                url = f"{base}/events_{day:%Y%m%d}/data?maxResults=2000&pageToken={cursor}"
                with urllib.request.urlopen(url, timeout=120) as response:
                    page = json.loads(response.read())
                rows += len(page["rows"])
                cursor = page.get("pageToken")
    return {"ga4_rows_served": rows}


def child(step: str, days: int, scale: float) -> None:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="revwh-bench-memory-") as folder:
        figures = (_generate if step == "generate" else _fakes)(days, scale, Path(folder))
    print(json.dumps({"step": step, "days": days, "seconds": round(time.monotonic() - began),
                      "peak_mb": round(_peak_mb()), **figures}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 90])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--steps", nargs="+", default=["generate", "fakes"],
                        choices=["generate", "fakes"])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), float(args.child[2]))
        return 0
    print(f"{'step':<10} {'days':>5} {'peak MB':>8} {'seconds':>8}  rows")
    for step in args.steps:
        for days in args.days:
            out = subprocess.run([sys.executable, __file__, "--child", step, str(days),
                                  str(args.scale)], check=True, capture_output=True, text=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows = {k: v for k, v in result.items() if k.endswith("rows") or k.endswith("served")}
            print(f"{step:<10} {days:>5} {result['peak_mb']:>8} {result['seconds']:>8}  {rows}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
