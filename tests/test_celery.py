"""The compose stack's executor path for real: the nightly DAG for one day through a Celery
worker, Redis as the broker and the result backend in PostgreSQL (the scheduler, API server,
DAG processor and triggerer as separate processes, as in docker-compose.yml: the dbt model
tasks of Cosmos' WATCHER mode defer to the triggerer).

The warehouse is an Airflow Connection here, as a deployment keeps it (REVWH_WAREHOUSE_CONN_ID,
AIRFLOW_CONN_REVWH_WAREHOUSE), and WAREHOUSE_URL points nowhere: a task that read the warehouse
any other way would fail. The cleared model task's dbt runs on Cosmos' profile of that
Connection.

Redis: REVWH_TEST_REDIS_URL if set (.ci/run sets it when a Redis answers on 127.0.0.1:6379,
e.g. redis://127.0.0.1:6379/11), else a redis-server of its own on a free port if the binary
is installed, else the test is skipped saying so. Its Celery queue is named for the test
session, so runs sharing a Redis never take each other's tasks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from datetime import date

import psycopg
import pytest

from revwh.ops.airflow_services import AirflowServices, free_port, services_env
from revwh.simulate.company import Company, SimConfig
from revwh.simulate.writers import write_extracts
from revwh.transform.cosmos_build import MANIFEST_PATH
from revwh.warehouse.connection import url_parts

# Starting Airflow and running the DAG (a dbt build a run) takes minutes, many more on a busy
# machine: more than the suite's per-test limit.
pytestmark = pytest.mark.timeout(3600)

CLEARED = "dbt_build.daily_channel_performance.run"  # a model nothing else is built from
PRODUCER = "dbt_build.dbt_producer_watcher"  # the task that runs the one dbt build
DAG_ID = "revenue_nightly"
DAY = date(2026, 9, 1)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    configured = os.environ.get("REVWH_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis for the Celery broker: set REVWH_TEST_REDIS_URL "
                    "(e.g. redis://127.0.0.1:6379/11) or install redis-server")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def celery_run(redis_url: str, warehouse: str, airflow_db_factory, database_factory,
               tmp_path_factory: pytest.TempPathFactory):
    from revwh.ops.airflow_env import airflow_env

    url = database_factory("revwh_test_celery")
    airflow_url = airflow_db_factory("revwh_test_celery_af")
    home = tmp_path_factory.mktemp("celery-home")
    landing = home / "landing"
    write_extracts(Company(SimConfig(start=DAY, days=1, seed=3, scale=0.1, mess=False)), landing,
                   crm="hubspot")
    queue = f"revwh_test_{os.getpid()}"
    parts = url_parts(url)
    connection = {"conn_type": "postgres", "host": parts["host"], "port": int(parts["port"]),
                  "login": parts["user"], "schema": parts["dbname"],
                  # Cosmos' mapping wants a password; trust authentication ignores it
                  "password": parts["password"] or "unused-under-trust-auth"}
    base = {
        **os.environ, **airflow_env(),
        "WAREHOUSE_URL": "postgresql://nobody@127.0.0.1:1/not_the_warehouse",
        "REVWH_WAREHOUSE_CONN_ID": "revwh_warehouse",
        "AIRFLOW_CONN_REVWH_WAREHOUSE": json.dumps(connection),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_url,
        "REVWH_HOME": str(home), "LANDING_URL": str(landing), "CRM": "hubspot",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": redis_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + airflow_url.replace("+psycopg2", ""),
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
    }
    env = services_env(base, home / "airflow", free_port())
    worker = ["celery", "worker", "--queues", queue, "--concurrency", "4",
              "--celery-hostname", f"{queue}@%h", "--without-mingle", "--without-gossip",
              "--skip-serve-logs"]
    services = AirflowServices.start(
        env, [["api-server"], ["scheduler"], ["dag-processor"], ["triggerer"], worker],
        home / "logs",
        migrate=False)
    try:
        services.wait_ready(DAG_ID)
        services.unpause(DAG_ID)
        run = services.trigger(DAG_ID, DAY)
        services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=1500)
        tis = services.task_instances(DAG_ID, run["dag_run_id"])
        # then one model's task cleared with its downstream, as after a fix to that model
        services.clear(DAG_ID, run["dag_run_id"], [CLEARED])
        services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=1500)
        after = services.task_instances(DAG_ID, run["dag_run_id"])
        cleared_log = services.task_log(DAG_ID, run["dag_run_id"], CLEARED)
        # then the whole build again, as a rerun of the day does (a backfill reprocessing it)
        services.clear(DAG_ID, run["dag_run_id"], ["claim_build"])
        services.wait_for_runs(DAG_ID, run_ids={run["dag_run_id"]}, timeout=1500)
        rerun = services.task_instances(DAG_ID, run["dag_run_id"])
        producer_log = services.task_log(DAG_ID, run["dag_run_id"], PRODUCER)
        codes = services.stop()
        yield {"run": run, "tis": tis, "after": after, "cleared_log": cleared_log,
               "rerun": rerun, "producer_log": producer_log,
               "queue": queue, "url": url, "codes": codes,
               "escalated": services.escalated, "airflow_url": airflow_url,
               "worker_log": services.log_tail("celery-worker", 10_000_000)}
    finally:
        services.stop()


def _expected_state(task_id: str) -> str:
    """Every task succeeds, but the pulls: the platforms here are file drops (REVWH_PULL_<P>
    unset), so each pull_<platform> task skips and its extract runs."""
    return "skipped" if task_id.startswith("pull_") else "success"


def test_every_task_ran_on_the_celery_worker(celery_run: dict):
    """Every task that needs a worker ran on the Celery worker; the dbt model tasks (Cosmos
    WATCHER: one task builds, the others report their model) started and ended in the
    triggerer, with no worker at all (revwh.transform.cosmos_watcher)."""
    tis = celery_run["tis"]
    assert {ti["task_id"] for ti in tis} >= {"extract_ga4", "load_ga4", "claim_build",
                                            "dbt_build.dbt_producer_watcher",
                                            "dbt_build.int_ga4__sessions.run", "audit",
                                            "publish", "release_build", "summary"}
    watchers = {ti["task_id"] for ti in tis if ti["task_id"].startswith("dbt_build.")
                and not ti["task_id"].startswith("dbt_build.dbt_producer_watcher")}
    assert len(watchers) >= 90  # a task per model and seed, and one for each one's tests
    for ti in tis:
        assert ti["state"] == _expected_state(ti["task_id"]), ti["task_id"]
        assert ti["queue"] == celery_run["queue"], ti["task_id"]
    # the worker took each other task instance off the queue and ran it ...
    executed = [line for line in celery_run["worker_log"].splitlines()
                if "Executing workload in Celery" in line]
    in_worker = {ti["task_id"] for ti in tis} - watchers - {
        "dbt_build.dbt_producer_watcher_done"}  # an EmptyOperator: the scheduler ends it
    for task_id in in_worker:
        assert any(f"task_id='{task_id}'" in line for line in executed), task_id
    for task_id in watchers - {CLEARED, f"{CLEARED[:-4]}.test"}:
        assert not any(f"task_id='{task_id}'" in line for line in executed), task_id
    for task_id in (CLEARED, f"{CLEARED[:-4]}.test"):  # when cleared on its own; not on the rerun
        assert sum(f"task_id='{task_id}'" in line for line in executed) == 1, task_id
    # ... and reported each result to the result backend in PostgreSQL
    with psycopg.connect(celery_run["airflow_url"].replace("+psycopg2", "")) as conn:
        results = conn.execute("select status, count(*) from celery_taskmeta group by 1"
                               ).fetchall()
    assert dict(results).get("SUCCESS", 0) >= len(in_worker)


def test_a_cleared_model_task_rebuilds_just_that_model(celery_run: dict):
    before = {ti["task_id"]: ti for ti in celery_run["tis"]}
    after = {ti["task_id"]: ti for ti in celery_run["after"]}
    rerun = {task_id for task_id, ti in after.items()
             if ti["try_number"] > before[task_id]["try_number"]}
    # the model, its tests and what follows the build (with the lease's setup and teardown)
    assert rerun == {CLEARED, f"{CLEARED[:-4]}.test", "claim_build", "audit", "publish",
                     "release_build", "summary"}, rerun
    assert all(ti["state"] == _expected_state(ti["task_id"]) for ti in after.values())
    # the cleared task ran its own model's dbt command in the worker (not the whole build)
    log = celery_run["cleared_log"]
    assert "--select" in log and "daily_channel_performance" in log, log[-3000:]
    assert "1 of 1" in log, log[-3000:]
    # on the profile Cosmos wrote from the warehouse's Airflow Connection
    assert "Using user-supplied profiles.yml" not in log, log[-3000:]
    assert "in cache" in log and "using profile" in log, log[-3000:]


def test_a_rerun_of_the_day_runs_the_one_dbt_build_again(celery_run: dict):
    """Cosmos' producer skips itself on a later try (every model's task would then run its own
    dbt command); here it builds again, and the model tasks report the new build."""
    after = {ti["task_id"]: ti for ti in celery_run["after"]}
    rerun = {ti["task_id"]: ti for ti in celery_run["rerun"]}
    assert rerun[PRODUCER]["try_number"] == after[PRODUCER]["try_number"] + 1
    for task_id, ti in rerun.items():
        assert ti["state"] == _expected_state(task_id), task_id
        if task_id.startswith("dbt_build."):
            assert ti["try_number"] == after[task_id]["try_number"] + 1, task_id
    log = celery_run["producer_log"]
    # the tests of the CRM this deployment reads (the other CRMs' are in the manifest, disabled)
    tests = sum(node["resource_type"] == "test" and node["config"]["enabled"]
                for node in json.loads(MANIFEST_PATH.read_text())["nodes"].values())
    assert f"{tests} data tests" in log and "Completed successfully" in log, log[-3000:]


def test_the_run_published_its_day(celery_run: dict):
    with psycopg.connect(celery_run["url"]) as conn:
        published = conn.execute(
            "select count(distinct mart) from ops.publish_log where run_id = %s",
            (celery_run["run"]["dag_run_id"],)).fetchone()[0]
        days = conn.execute("select min(date_day), max(date_day)"
                            " from marts.daily_channel_performance").fetchone()
    assert published >= 10
    assert days == (DAY, DAY)


def test_the_components_stop_cleanly_on_sigint(celery_run: dict):
    assert not celery_run["escalated"], celery_run["codes"]
