"""The nightly revenue warehouse run: extract -> load -> dbt build -> audit -> publish.

Each run owns one data interval, midnight to midnight UTC (CronDataIntervalTimetable), and
processes exactly the extracts of that interval. The work lives in plugins/revwh/pipeline.py.
A failed task or run is reported to the log and to REVWH_ALERT_WEBHOOK_URL (revwh.alerting).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from revwh.alerting import on_dag_failure, on_task_failure
from revwh.sources import enabled_sources

# One extract and one load task per platform; the CRM's platform follows CRM=hubspot|salesforce.
PLATFORMS = sorted({source.platform for source in enabled_sources().values()})


@dag(
    dag_id="revenue_nightly",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "on_failure_callback": on_task_failure},
    on_failure_callback=on_dag_failure,
    tags=["revenue-warehouse"],
    doc_md=__doc__,
)
def revenue_nightly():
    @task
    def extract(platform: str, data_interval_start=None, data_interval_end=None) -> list[dict]:
        from revwh.pipeline import extract_platform

        return extract_platform(platform, data_interval_start, data_interval_end)

    @task
    def load(platform: str, files: list[dict], run_id=None) -> list[dict]:
        from revwh.pipeline import load_platform

        return load_platform(platform, files, run_id=run_id)

    @task
    def transform() -> dict:
        from revwh.pipeline import build_marts

        return build_marts()

    @task
    def audit(data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from revwh.pipeline import audit_marts

        return audit_marts(data_interval_start, data_interval_end, run_id)

    @task
    def publish(data_interval_start=None, data_interval_end=None, run_id=None) -> dict:
        from revwh.pipeline import publish_marts

        return publish_marts(data_interval_start, data_interval_end, run_id)

    @task
    def summary(loads: list, audit_result: dict, published: dict,
                data_interval_start=None, data_interval_end=None) -> str:
        from revwh.pipeline import summarize

        return summarize(data_interval_start, data_interval_end, loads, audit_result, published)

    loads = []
    for platform in PLATFORMS:
        files = extract.override(task_id=f"extract_{platform}")(platform)
        loads.append(load.override(task_id=f"load_{platform}")(platform, files))
    built = transform()
    checked = audit()
    published = publish()
    loads >> built >> checked >> published
    summary(loads, checked, published)


nightly = revenue_nightly()
