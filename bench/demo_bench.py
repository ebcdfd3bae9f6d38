"""A fresh clone's install plus `make demo`, timed (`make bench-demo`; figures in
docs/benchmarks.md#the-two-commands).

Clones this repository's HEAD into a temporary folder (nothing of this checkout's .venv or
.local comes along), then times, in the clone:

1. `make setup`: uv (bootstrapped with pip when it is not on PATH), the packages from uv.lock
   into a new .venv, the dbt manifest;
2. `make demo`: the embedded PostgreSQL, 91 days of simulated extracts, `revwh history` for the
   first 90 (loaded, built once, audited, published), the nightly DAG through Airflow for the
   last day, the headline numbers.

It prints each phase's seconds (from the demo's own output) and the total, then stops the
clone's embedded PostgreSQL and removes the clone (--keep keeps it). uv's package cache is the
machine's: a machine that never downloaded the packages adds their download.

    .venv/bin/python bench/demo_bench.py [--keep] [--clone-to DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, str]:
    began = time.monotonic()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REVWH_", "AIRFLOW", "WAREHOUSE_URL", "LANDING_URL",
                                "VIRTUAL_ENV"))}
    with open(log, "w") as handle:
        result = subprocess.run(command, cwd=cwd, env=env, stdout=handle,
                                stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - began
    output = log.read_text(errors="replace")
    if result.returncode != 0:
        print(output[-4000:], file=sys.stderr)
        raise SystemExit(f"{' '.join(command)} failed after {seconds:.0f}s (log: {log})")
    return seconds, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    parser.add_argument("--clone-to", type=Path, help="where to clone (default: a temp folder)")
    args = parser.parse_args()
    parent = args.clone_to or Path(tempfile.mkdtemp(prefix="revwh-demo-bench-"))
    # mkdtemp makes it 0700: as root, the embedded PostgreSQL's user could not reach the clone's
    # .local/pg, and the demo would stop, saying so (revwh.warehouse.embedded_pg). A checkout
    # lives in a folder others may pass through, as a clone into /tmp or /home/<user> does.
    parent.chmod(0o755)
    clone = parent / "revwh"
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    print(f"fresh clone of {head} in {clone}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    try:
        setup, _ = timed(["make", "setup"], clone, parent / "setup.log")
        print(f"make setup (install):  {setup:6.0f} s", flush=True)
        demo, output = timed(["make", "demo"], clone, parent / "demo.log")
        print(f"make demo:             {demo:6.0f} s", flush=True)
        phases = re.search(r"seconds: (load .*)", output)
        if phases:
            print(f"  revwh history:       {phases.group(1)}")
        for line in re.findall(r"^history .*: success in \d+s$|^\d{4}-\d\d-\d\d: success in "
                               r"\d+s", output, re.MULTILINE):
            print(f"  {line}")
        print(f"total (install + demo): {setup + demo:.0f} s = {(setup + demo) / 60:.1f} min"
              f"; load average now {os.getloadavg()[0]:.1f}")
    finally:
        subprocess.run(["make", "db-stop"], cwd=clone, capture_output=True)
        if not args.keep:
            shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
