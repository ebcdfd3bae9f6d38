"""The nightly revenue warehouse run: extract -> load -> dbt build -> audit -> publish.

The dbt build is the task group `dbt_build`: one task per dbt model and seed, each model's tests
after it (astronomer-cosmos, rendered from the manifest `make setup` writes:
revwh.transform.cosmos_build). One task runs the night's `dbt build` and the model tasks report
their
models' outcomes from the triggerer (Cosmos WATCHER: revwh.transform.cosmos_watcher); clear one
model's
task to rebuild just that model. With REVWH_DBT_EXECUTION_MODE=single, and under dag.test
(revwh run, make demo), one task, `transform`, runs the build instead.

Each run owns one data interval, midnight to midnight UTC (CronDataIntervalTimetable), and
processes exactly the extracts of that interval. The work lives in plugins/revwh/ops/pipeline.py.
A failed task or run is reported to the log and to REVWH_ALERT_WEBHOOK_URL (revwh.ops.alerting).

Extract and load of different days run in parallel (in a backfill); the build, the audit and
the publish run one DAG run at a time: `claim_build` (a setup task) waits for and takes the
build lease of the shared audit schema, `release_build` (its teardown) gives it back whatever
happened (revwh.warehouse.lease). Clearing any of them, any model's task included, clears the claim
and
the release too. Only `publish` emits an Asset (the model tasks emit none).

The DAG's first day is REVWH_START_DATE (revwh.core.config, default 2026-01-01). The DAG itself
has no start_date, so that every run, of any day, gets its tasks: its first task,
`check_interval`, fails a run whose interval begins before that day, naming the setting (a run
before an Airflow start_date would otherwise have no task at all and report success). Days
before it are loaded once with `revwh history`.

Each platform pulled from its API (REVWH_PULL_<PLATFORM>=api, credentials in the Airflow
Connection revwh_<platform>: docs/sources.md) has a `pull_<platform>` task before its extract;
it lands the API's records in the landing zone exactly as a file drop would, all or nothing. A
platform left to file drop (the default) skips its pull and extracts as before.

Params of a manual run or backfill: `platforms` (the sources to extract and load; the others'
tasks skip) and `full_refresh` (rebuild the incremental dbt models from scratch).
"""

from __future__ import annotations

import uuid

from airflow.sdk import Asset, Param, PokeReturnValue, dag, task
from airflow.sdk.exceptions import AirflowSkipException
from airflow.timetables.interval import CronDataIntervalTimetable

from revwh.core.config import (
    BUILD_LEASE_POKE_SECONDS,
    PULL_PLATFORMS,
    build_lease_stale_after,
    pull_mode,
)
from revwh.core.sources import enabled_sources
from revwh.ops.alerting import on_dag_failure, on_task_failure
from revwh.transform.cosmos_build import dbt_task_group, execution_mode

# One extract and one load task per platform; the CRM's platform follows CRM=hubspot|salesforce.
PLATFORMS = sorted({source.platform for source in enabled_sources().values()})

# Published marts: downstream DAGs scheduled on this Asset start only after an audited publish.
MARTS = Asset(name="revwh_marts", uri="revwh://warehouse/marts")

PARAMS = {
    "platforms": Param(
        PLATFORMS, type="array", items={"type": "string", "enum": PLATFORMS}, minItems=1,
        uniqueItems=True, examples=PLATFORMS, title="Platforms",
        description="The sources to extract and load in this run; the others' tasks skip."),
    "full_refresh": Param(
        False, type="boolean", title="Full refresh",
        description="Rebuild every incremental dbt model from scratch (dbt --full-refresh)."),
}


@dag(
    dag_id="revenue_nightly",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    # no start_date: check_interval enforces the first day, REVWH_START_DATE (see above)
    start_date=None,
    catchup=False,
    max_active_runs=1,
    params=PARAMS,
    default_args={"retries": 0, "on_failure_callback": on_task_failure},
    on_failure_callback=on_dag_failure,
    tags=["revenue-warehouse"],
    doc_md=__doc__,
)
def revenue_nightly():
    @task
    def check_interval(data_interval_start=None, data_interval_end=None) -> list[str]:
        from revwh.ops.pipeline import check_interval

        return check_interval(data_interval_start, data_interval_end)

    @task
    def pull(platform: str, data_interval_start=None, data_interval_end=None, params=None,
             run_id=None) -> list[dict]:
        from revwh.ops.pipeline import pull_platform

        if platform not in params["platforms"]:
            raise AirflowSkipException(f"{platform} is not among this run's platforms")
        if pull_mode(platform) != "api":
            raise AirflowSkipException(f"{platform} is a file drop (REVWH_PULL_"
                                       f"{platform.upper()}=file)")
        return pull_platform(platform, data_interval_start, data_interval_end)

    # a skipped pull (a file drop) lets the extract run; a failed one does not
    @task(trigger_rule="none_failed")
    def extract(platform: str, data_interval_start=None, data_interval_end=None,
                params=None) -> list[dict]:
        from revwh.ops.pipeline import extract_platform

        if platform not in params["platforms"]:
            raise AirflowSkipException(f"{platform} is not among this run's platforms")
        return extract_platform(platform, data_interval_start, data_interval_end)

    @task
    def load(platform: str, files: list[dict], run_id=None) -> list[dict]:
        from revwh.ops.pipeline import load_platform

        return load_platform(platform, files, run_id=run_id)

    @task.sensor(poke_interval=BUILD_LEASE_POKE_SECONDS, mode="poke",
                 timeout=2 * build_lease_stale_after().total_seconds(),
                 trigger_rule="none_failed_min_one_success")
    def claim_build(run_id=None) -> PokeReturnValue:
        from revwh.ops.pipeline import claim_build

        # a new token each time the lease is taken: the model tasks tell this build's results
        # from an earlier one's by it (revwh.transform.cosmos_watcher)
        claimed = claim_build(run_id)
        return PokeReturnValue(is_done=claimed, xcom_value=uuid.uuid4().hex if claimed else None)

    @task
    def transform(params=None) -> dict:
        from revwh.ops.pipeline import build_marts

        return build_marts(full_refresh=params["full_refresh"])

    @task
    def audit(data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from revwh.ops.pipeline import audit_marts

        return audit_marts(data_interval_start, data_interval_end, run_id)

    @task(outlets=[MARTS])
    def publish(data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from revwh.ops.pipeline import publish_marts

        return publish_marts(data_interval_start, data_interval_end, run_id)

    @task
    def release_build(run_id=None) -> bool:
        from revwh.ops.pipeline import release_build

        return release_build(run_id)

    @task(trigger_rule="none_failed_min_one_success")
    def summary(loads: list, audit_result: dict, published: dict,
                data_interval_start=None, data_interval_end=None) -> str:
        from revwh.ops.pipeline import summarize

        return summarize(data_interval_start, data_interval_end, loads, audit_result, published)

    checked_interval = check_interval()
    loads = []
    for platform in PLATFORMS:
        files = extract.override(task_id=f"extract_{platform}")(platform)
        if platform in PULL_PLATFORMS:  # a run before the first day pulls nothing either
            checked_interval >> pull.override(task_id=f"pull_{platform}")(platform) >> files
        else:
            checked_interval >> files
        loads.append(load.override(task_id=f"load_{platform}")(platform, files))
    claimed = claim_build()
    # a task per dbt model (Cosmos), or one `transform` task (REVWH_DBT_EXECUTION_MODE=single)
    built = transform() if execution_mode() == "single" else dbt_task_group()
    checked = audit()
    published = publish()
    loads >> claimed >> built >> checked >> published
    published >> release_build().as_teardown(setups=claimed.as_setup())
    summary(loads, checked, published)


nightly = revenue_nightly()
