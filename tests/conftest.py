"""Test fixtures: a real PostgreSQL for the tests that need one.

Set REVWH_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres) to use a running
server; otherwise the tests start their own embedded PostgreSQL in a temporary folder. Either
way each test session works in databases of its own, dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from revwh.core.config import apply_telemetry_off
from revwh.warehouse import embedded_pg

ROOT = Path(__file__).resolve().parents[1]

apply_telemetry_off()
# Airflow reads its configuration when first imported: give the test session its own home.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="revwh-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))


def _swap_db(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """URL of a server's maintenance database (postgres)."""
    configured = os.environ.get("REVWH_TEST_PG_URL")
    if configured:
        yield _swap_db(configured, "postgres")
        return
    # Not under pytest's temporary folder: pytest resets that folder to mode 0700 when another
    # session starts, which would lock out the server's system user when running as root.
    base = Path(tempfile.mkdtemp(prefix="revwh-test-pg-"))
    server = embedded_pg.start(base / "data", port=embedded_pg._free_port())
    yield server.url("postgres")
    embedded_pg.stop(base / "data")
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse(pg_server: str, tmp_path_factory: pytest.TempPathFactory):
    """A fresh warehouse database and Airflow metadata database; env points everything at them."""
    suffix = f"{os.getpid()}"
    names = {"warehouse": f"revwh_test_{suffix}", "airflow": f"revwh_test_airflow_{suffix}"}
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in names.values():
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    home = tmp_path_factory.mktemp("revwh-home")
    url = _swap_db(pg_server, names["warehouse"])
    airflow_url = _swap_db(pg_server, names["airflow"]).replace("postgresql://",
                                                                "postgresql+psycopg2://", 1)
    # Roles belong to the server, not a database: each session has a BI role of its own.
    bi_role = f"revwh_bi_test_{suffix}"
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", "REVWH_HOME", "LANDING_URL",
                                             "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                                             "REVWH_BI_ROLE", "REVWH_BI_PASSWORD")}
    os.environ.pop("REVWH_BI_PASSWORD", None)
    os.environ.update({"WAREHOUSE_URL": url, "REVWH_HOME": str(home),
                       "LANDING_URL": str(home / "landing"),
                       "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_url,
                       "REVWH_BI_ROLE": bi_role})
    yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    with psycopg.connect(pg_server, autocommit=True) as conn:
        # this session's databases, those of fixtures whose set-up failed half-way included
        leftovers = [r[0] for r in conn.execute(
            "select datname from pg_database where datname like %s",
            (f"revwh\\_test\\_%\\_{suffix}",))]
        for name in sorted(set(names.values()) | set(leftovers)):
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(name)))
        try:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(bi_role)))
        except psycopg.errors.DependentObjectsStillExist as error:  # granted in another db
            import warnings

            warnings.warn(f"BI role {bi_role} left on the server: {error}", stacklevel=1)


@pytest.fixture
def conn(warehouse: str):
    with psycopg.connect(warehouse) as connection:
        yield connection


METRICS_START = "2026-09-01"
METRICS_DAYS = 45  # long enough for the simulated campaign rename (day 40)


@pytest.fixture(scope="session")
def metrics_warehouse(pg_server: str, warehouse: str, tmp_path_factory: pytest.TempPathFactory):
    """A database with 45 days of the simulated company (with its mess) loaded and built by
    dbt, for the metrics layer's ground-truth tests. Yields url, landing, truth and company."""
    from datetime import date, timedelta
    from types import SimpleNamespace

    from revwh.core.sources import ALL_SOURCES
    from revwh.ingest.extract import locate
    from revwh.ingest.load import load_file
    from revwh.simulate.company import Company, SimConfig
    from revwh.simulate.writers import write_extracts
    from revwh.transform.dbt_runner import run_dbt

    name = f"revwh_test_metrics_{os.getpid()}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = _swap_db(pg_server, name)
    landing = tmp_path_factory.mktemp("metrics-landing")
    start = date.fromisoformat(METRICS_START)
    company = Company(SimConfig(start=start, days=METRICS_DAYS, seed=21, scale=0.2))
    write_extracts(company, landing)
    with psycopg.connect(url) as conn:
        for source in ALL_SOURCES:
            if source.platform == "csv_crm":
                continue
            for offset in range(METRICS_DAYS):
                day = start + timedelta(days=offset)
                load_file(conn, source, day, locate(source, day, str(landing)).url)
    run_dbt(["build"], url=url)
    yield SimpleNamespace(url=url, landing=landing, truth=landing / "_truth", company=company)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="session")
def airflow_db_factory(pg_server: str):
    """make(name) -> a fresh, migrated Airflow metadata database (SQLAlchemy URL): Airflow's
    migrations run once per session, into a template each database is then copied from."""
    import subprocess

    template = f"revwh_test_airflow_template_{os.getpid()}"
    made: list[str] = []

    def run_sql(statement: sql.Composable) -> None:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(statement)

    def make(name: str) -> str:
        if not made:
            run_sql(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(template)))
            run_sql(sql.SQL("create database {}").format(sql.Identifier(template)))
            made.append(template)
            url = _swap_db(pg_server, template).replace("postgresql://",
                                                        "postgresql+psycopg2://", 1)
            env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url}
            migrate = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db",
                                      "migrate"], env=env, capture_output=True, text=True,
                                     timeout=900)
            assert migrate.returncode == 0, (migrate.stdout + migrate.stderr)[-3000:]
        database = f"{name}_{os.getpid()}"
        run_sql(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(database)))
        run_sql(sql.SQL("create database {} template {}").format(
            sql.Identifier(database), sql.Identifier(template)))
        made.append(database)
        return _swap_db(pg_server, database).replace("postgresql://", "postgresql+psycopg2://", 1)

    yield make
    for database in reversed(made):
        run_sql(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(database)))


@pytest.fixture(scope="session")
def database_factory(pg_server: str):
    """make(name) -> URL of a fresh empty database, dropped at the end of the session."""
    made: list[str] = []

    def make(name: str) -> str:
        database = f"{name}_{os.getpid()}"
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(database)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
        made.append(database)
        return _swap_db(pg_server, database)

    yield make
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for database in made:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(database)))


# The slowest test files, slowest first (measured: `make test` prints the slowest tests). Under
# pytest-xdist (`make test`: --dist loadfile --no-loadscope-reorder) each worker takes the next
# file in this order when it runs short of work, so the long files start first and the short
# ones fill in after them, instead of a long file starting last and running alone.
SLOW_FILES = (
    "test_celery.py", "test_bi.py", "test_stop.py", "test_incremental.py",
    "test_source_subsets.py", "test_pull_marts.py", "test_crm_parity.py",
    "test_end_to_end.py", "test_ga4_exports.py", "test_crm_deleted_deals.py",
    "test_history.py", "test_byo_crm_marts.py", "test_gate.py", "test_backfill_api.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOW_FILES)}
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(SLOW_FILES)), order[id(item)]))
