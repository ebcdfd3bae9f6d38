"""A pytest plugin: the CPU seconds of each test (its process and every process it waited
for: Airflow, Superset, dbt, browsers), appended as tab-separated lines (worker, test id, CPU
seconds, wall seconds, end time) to $CPUACCT_OUT (default .local/cpuacct.tsv).

    PYTHONPATH=bench PYTEST_ADDOPTS="-p cpuacct" make test

A module's fixtures are counted in the test that set them up or tore them down; a file's sum
is its cost (docs/benchmarks.md, "Where the test command's time goes").
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    cpu, wall = _cpu_seconds(), time.monotonic()
    yield
    out = Path(os.environ.get("CPUACCT_OUT") or ".local/cpuacct.tsv")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as lines:
        lines.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}\t{item.nodeid}\t"
                    f"{_cpu_seconds() - cpu:.1f}\t{time.monotonic() - wall:.1f}\t"
                    f"{time.time():.0f}\n")
