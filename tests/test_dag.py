"""The nightly DAG parses, has the expected tasks and wiring, and owns real data intervals."""

from __future__ import annotations

import copy
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
    expected |= {"claim_build", "transform", "audit", "publish", "release_build", "summary"}
    assert set(dag.task_ids) == expected
    for key in PLATFORMS:
        assert dag.get_task(f"extract_{key}").downstream_task_ids == {f"load_{key}"}
        assert "claim_build" in dag.get_task(f"load_{key}").downstream_task_ids
    assert dag.get_task("claim_build").downstream_task_ids == {"transform", "release_build"}
    assert dag.get_task("transform").downstream_task_ids == {"audit"}
    assert dag.get_task("audit").downstream_task_ids >= {"publish"}
    assert dag.get_task("publish").downstream_task_ids == {"summary", "release_build"}
    assert dag.get_task("publish").upstream_task_ids == {"audit"}


def test_build_audit_publish_hold_the_build_lease(dag):
    """One run at a time builds the shared audit schema: claim_build is the setup and
    release_build the teardown around transform, audit and publish."""
    claim, release = dag.get_task("claim_build"), dag.get_task("release_build")
    assert claim.is_setup and release.is_teardown
    assert release.upstream_task_ids == {"claim_build", "publish"}
    # a run whose platforms were partly skipped still builds
    assert claim.trigger_rule == "none_failed_min_one_success"
    assert dag.get_task("summary").trigger_rule == "none_failed_min_one_success"
    # clearing one step of the chain clears its claim and release with it
    cleared = dag.partial_subset("transform", include_upstream=False, include_downstream=False)
    assert {"claim_build", "transform", "release_build"} <= set(cleared.task_ids)


def _conf(dag, conf: dict) -> dict:
    """A run's params as Airflow resolves them: the DAG's, updated by the run's conf."""
    params = copy.deepcopy(dag.params)
    params.update(conf)
    return params.validate()


def test_params_of_a_manual_run(dag):
    assert _conf(dag, {}) == {"platforms": sorted(PLATFORMS), "full_refresh": False}
    assert _conf(dag, {"platforms": ["ga4"], "full_refresh": True}) == {
        "platforms": ["ga4"], "full_refresh": True}
    for bad in ({"platforms": ["no_such_platform"]}, {"platforms": []},
                {"full_refresh": "yes"}):
        with pytest.raises(ValueError, match="Invalid input for param"):
            _conf(dag, bad)


def test_each_run_owns_one_day(dag):
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    interval = dag.timetable.infer_manual_data_interval(
        run_after=datetime(2026, 9, 3, 5, 0, tzinfo=UTC))
    assert (interval.start, interval.end) == (datetime(2026, 9, 2, tzinfo=UTC),
                                              datetime(2026, 9, 3, tzinfo=UTC))
    assert dag.max_active_runs == 1
