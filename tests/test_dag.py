"""The nightly DAG parses, has the expected tasks and wiring, and owns real data intervals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.timetables.interval import CronDataIntervalTimetable

from revwh.config import DAGS_DIR
from revwh.sources import enabled_sources

PLATFORMS = {source.platform for source in enabled_sources().values()}


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags["revenue_nightly"]


def test_tasks_and_dependencies(dag):
    assert {"google_ads", "meta_ads", "linkedin_ads", "ga4", "hubspot", "ecb"} == PLATFORMS
    expected = {f"{step}_{key}" for key in PLATFORMS for step in ("extract", "load")}
    expected |= {"transform", "audit", "publish", "summary"}
    assert set(dag.task_ids) == expected
    for key in PLATFORMS:
        assert dag.get_task(f"extract_{key}").downstream_task_ids == {f"load_{key}"}
        assert "transform" in dag.get_task(f"load_{key}").downstream_task_ids
    assert dag.get_task("transform").downstream_task_ids == {"audit"}
    assert dag.get_task("audit").downstream_task_ids >= {"publish"}
    assert dag.get_task("publish").downstream_task_ids == {"summary"}
    assert dag.get_task("publish").upstream_task_ids == {"audit"}


def test_each_run_owns_one_day(dag):
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    interval = dag.timetable.infer_manual_data_interval(
        run_after=datetime(2026, 9, 3, 5, 0, tzinfo=UTC))
    assert (interval.start, interval.end) == (datetime(2026, 9, 2, tzinfo=UTC),
                                              datetime(2026, 9, 3, tzinfo=UTC))
    assert dag.max_active_runs == 1
