# The two commands a new user needs:  make demo  (install + run the nightly job on demo data)
#                                     make test  (install + run the tests)
SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOTSTRAP_PYTHON ?= python3
UV_VERSION := 0.13.9
LOCAL := .local
UV := $(or $(shell command -v uv 2>/dev/null),$(LOCAL)/uv/bin/uv)
RUN := $(UV) run --frozen --no-sync
# make test runs the test files on this many pytest-xdist workers, a file's tests on one worker
# (its module fixtures built once), the slowest files first (tests/conftest.py, SLOW_FILES): the
# CPU count, at most 4 (each worker may start Airflow or Superset). TEST_WORKERS=0 runs them in
# this one process.
TEST_WORKERS ?= $(shell python3 -c "import os; print(min(4, os.cpu_count() or 1))")
export UV_PYTHON_DOWNLOADS := never

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(LOCAL)/uv/bin/uv:
	$(BOOTSTRAP_PYTHON) -m venv $(LOCAL)/uv
	$(LOCAL)/uv/bin/pip install --quiet uv==$(UV_VERSION)

setup: $(UV)  ## install everything from the lock file into .venv, write the dbt manifest
	$(UV) sync --frozen --python 3.11
	$(RUN) revwh dbt-manifest

dbt-manifest:  ## dbt parse: the manifest the DAG's per-model dbt tasks are rendered from
	$(RUN) revwh dbt-manifest

demo: setup  ## 90 days of demo history loaded and built once, the nightly DAG for the next day
	$(RUN) revwh demo

test: setup bi-install browser  ## lint (ruff, the package's layers), then run the test suite
	$(RUN) ruff check .
	$(RUN) lint-imports
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30

lint: setup  ## ruff, and the package's layers (import-linter)
	$(RUN) ruff check .
	$(RUN) lint-imports

airflow: setup  ## the Airflow UI on the embedded default: DAGs unpaused, login printed (Ctrl-C stops it)
	$(RUN) revwh ui

bi: setup  ## Superset with the dashboards on the marts: http://localhost:8088 (Ctrl-C stops it)
	$(RUN) revwh bi

bi-stop: setup  ## stop the Superset that make bi started
	$(RUN) revwh bi stop

bi-install: setup  ## install Superset into its own venv (bi/superset/.venv) from its lock file
	$(RUN) revwh bi install

browser:  ## Debian's headless Chromium for the browser test (apt-get, as root, if missing)
	@if [ -x "$${REVWH_CHROMIUM:-/usr/bin/chromium}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium with apt-get"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else echo "Chromium is missing: install Debian's chromium package (as root: make browser)" \
		"or set REVWH_CHROMIUM to a Chromium binary" >&2; exit 1; fi

db-start: setup  ## start the embedded PostgreSQL
	$(RUN) revwh db start

db-stop: setup  ## stop the embedded PostgreSQL
	$(RUN) revwh db stop

db-url: setup  ## print the warehouse URL
	@$(RUN) revwh db url

.PHONY: help setup dbt-manifest demo test lint airflow bi bi-stop bi-install browser db-start db-stop db-url bench \
	bench-loader bench-dbt bench-gate bench-airflow bench-cosmos bench-demo bench-pull \
	bench-memory

bench: bench-loader bench-dbt bench-gate  ## every benchmark (figures in docs/benchmarks.md)

bench-loader: setup  ## the loader vs raw COPY vs pandas to_sql at 1x and 10x
	$(RUN) python bench/loader_bench.py

bench-airflow: setup  ## benchmarks: a nightly run's Airflow overhead; a 30-day backfill, parallel vs serial
	$(RUN) python bench/airflow_bench.py $(BENCH_ARGS)

bench-cosmos: setup  ## the nightly dbt build: Cosmos LOCAL vs WATCHER vs one dbt build task
	$(RUN) python bench/cosmos_bench.py $(BENCH_ARGS)

bench-demo: setup  ## a fresh clone's install + make demo, timed (in a temporary clone of HEAD)
	$(RUN) python bench/demo_bench.py $(BENCH_ARGS)

bench-memory: setup  ## peak memory of the demo's simulator steps (history export, fakes) at 30 and 90 days
	$(RUN) python bench/memory_bench.py $(BENCH_ARGS)

bench-dbt: setup  ## nightly incremental dbt build vs full refresh on 365 simulated days
	$(RUN) python bench/dbt_bench.py

bench-pull: setup  ## the API pulls against the fakes: records/s, share of a nightly run, memory at 10x
	$(RUN) python bench/pull_bench.py $(BENCH_ARGS)

bench-gate: setup  ## the GX gate vs the dbt build it guards, on 365 simulated days
	$(RUN) python bench/gate_bench.py $(BENCH_ARGS)
