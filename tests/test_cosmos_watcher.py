"""The per-model tasks start in the triggerer and end there when their model succeeded: only a
failure, or a model task cleared after the build, goes to a worker
(revwh.transform.cosmos_watcher)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from airflow.triggers.base import TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
from cosmos.listeners.dag_run_listener import EventStatus
from cosmos.operators._watcher.triggerer import WatcherEventReason

from revwh.transform.cosmos_watcher import (
    BUILD_CLAIM_XCOM_KEY,
    CLAIM_TASK_ID,
    ModelStatusTrigger,
    RebuildingProducer,
)

UID = "model.revenue_warehouse.int_ga4__sessions"


def _events(trigger: ModelStatusTrigger) -> list:
    async def collect() -> list:
        return [event async for event in trigger.run()]

    return asyncio.run(collect())


def _trigger(monkeypatch, *, try_number: int = 1, producer: str | None, node: str | None,
             calls: list | None = None, claim: str = "lease-2",
             built_under: str | None = "lease-2") -> ModelStatusTrigger:
    """A trigger whose XCom reads are stubbed: the node's status, the producer's state, the
    build lease token claim_build pushed and the one the producer builds under."""
    trigger = ModelStatusTrigger(model_unique_id=UID, producer_task_id="dbt_build.producer",
                                 dag_id="revenue_nightly", poke_interval=0.01)
    ti = SimpleNamespace(run_id="scheduled__2026-09-01", map_index=-1, try_number=try_number,
                         task_id="dbt_build.int_ga4__sessions.run", task=None)
    monkeypatch.setattr(ModelStatusTrigger, "task_instance", ti, raising=False)

    async def producer_state(self):
        if calls is not None:
            calls.append(("producer", self.run_id))
        return producer

    async def node_status(self):
        if calls is not None:
            calls.append(("node", self.run_id))
        return node

    async def xcom(self, task_id, key):
        if calls is not None:
            calls.append((key, self.run_id))
        if (task_id, key) == (CLAIM_TASK_ID, "return_value"):
            return claim
        assert (task_id, key) == ("dbt_build.producer", BUILD_CLAIM_XCOM_KEY)
        return built_under

    monkeypatch.setattr(ModelStatusTrigger, "_get_producer_task_status", producer_state)
    monkeypatch.setattr(ModelStatusTrigger, "_status", node_status)
    monkeypatch.setattr(ModelStatusTrigger, "_xcom", xcom)
    return trigger


def test_a_succeeded_model_ends_its_task_in_the_triggerer(monkeypatch):
    calls: list = []
    events = _events(_trigger(monkeypatch, try_number=1, producer="running", node="success",
                              calls=calls))
    assert len(events) == 1 and isinstance(events[0], TaskSuccessEvent)
    # the run is the task instance's, not one frozen into the DAG when it was parsed
    assert calls and {run for _, run in calls} == {"scheduled__2026-09-01"}


def test_while_the_build_runs_only_the_node_is_read(monkeypatch):
    calls: list = []
    events = _events(_trigger(monkeypatch, try_number=1, producer="running", node="success",
                              calls=calls))
    assert isinstance(events[0], TaskSuccessEvent)
    assert [c for c, _ in calls] == ["return_value", BUILD_CLAIM_XCOM_KEY, "node"]


def test_a_node_the_finished_build_did_not_report_counts_as_run(monkeypatch):
    # Cosmos' rule: the build succeeded and said nothing of the node (an ephemeral model)
    events = _events(_trigger(monkeypatch, try_number=1, producer="success", node=None))
    assert len(events) == 1 and isinstance(events[0], TaskSuccessEvent)


def test_a_skipped_model_skips_its_task(monkeypatch):
    events = _events(_trigger(monkeypatch, try_number=1, producer="running", node="skipped"))
    assert len(events) == 1 and isinstance(events[0], TaskSkippedEvent)


@pytest.mark.parametrize("node, producer, reason", [
    ("error", "running", WatcherEventReason.NODE_FAILED),
    (None, "failed", WatcherEventReason.PRODUCER_FAILED),
    (None, "upstream_failed", WatcherEventReason.PRODUCER_FAILED),
    (None, "skipped", WatcherEventReason.PRODUCER_SKIPPED),
])
def test_a_failure_resumes_in_a_worker_with_cosmos_reason(monkeypatch, node, producer, reason):
    events = _events(_trigger(monkeypatch, try_number=1, producer=producer, node=node))
    assert len(events) == 1
    event = events[0]
    assert type(event) is TriggerEvent  # resumes the task (execute_complete), which raises
    assert event.payload["status"] == EventStatus.FAILED and event.payload["reason"] == reason


def test_a_model_task_cleared_on_its_own_runs_its_own_model(monkeypatch):
    # cleared with its downstream after a fix: claim_build ran again (a new lease token), the
    # producer did not (its results are the earlier build's, still saying success): Cosmos'
    # fallback, the task runs `dbt run --select <model>` itself
    events = _events(_trigger(monkeypatch, try_number=2, producer="success", node="success",
                              claim="lease-2", built_under="lease-1"))
    assert len(events) == 1 and type(events[0]) is TriggerEvent
    assert events[0].payload == {"status": EventStatus.FAILED,
                                 "reason": WatcherEventReason.PRODUCER_SKIPPED}


def test_a_rerun_of_the_whole_build_waits_for_the_new_build(monkeypatch):
    # the whole run cleared (a backfill reprocessing the day): the producer has not started
    # its new build yet, and its earlier build's statuses are not read
    calls: list = []
    trigger = _trigger(monkeypatch, try_number=2, producer="queued", node="success",
                       claim="lease-2", built_under="lease-1", calls=calls)

    async def first_events() -> list:
        gen = trigger.run()
        try:
            return [await asyncio.wait_for(gen.__anext__(), timeout=0.2)]
        except TimeoutError:
            return []
        finally:
            await gen.aclose()

    assert asyncio.run(first_events()) == []
    assert ("node", "scheduled__2026-09-01") not in calls


def test_a_rerun_reads_the_new_build_even_after_it_ended(monkeypatch):
    events = _events(_trigger(monkeypatch, try_number=2, producer="success", node="success",
                              claim="lease-2", built_under="lease-2"))
    assert len(events) == 1 and isinstance(events[0], TaskSuccessEvent)


def test_the_producer_rebuilds_on_a_later_try_under_the_new_lease(monkeypatch):
    pushed: dict = {}
    seen: list = []
    ti = SimpleNamespace(
        try_number=3, xcom_pull=lambda task_ids, key: f"token-of-{task_ids}",
        xcom_push=lambda key, value: pushed.__setitem__(key, value))

    def cosmos_execute(self, context, **kwargs):
        seen.append(context["ti"].try_number)
        context["ti"].xcom_push(key="status", value="built")  # reaches the real instance
        return "built"

    monkeypatch.setattr(RebuildingProducer.__mro__[1], "execute", cosmos_execute)
    producer = object.__new__(RebuildingProducer)
    assert producer.execute({"ti": ti, "task_instance": ti}) == "built"
    # Cosmos' producer skips any try after the first: it is shown a first try, and runs
    assert seen == [1]
    assert pushed == {BUILD_CLAIM_XCOM_KEY: f"token-of-{CLAIM_TASK_ID}", "status": "built"}


def test_the_trigger_round_trips_through_its_serialized_form():
    trigger = ModelStatusTrigger(model_unique_id=UID, producer_task_id="p", dag_id="d",
                                 poke_interval=2.0, is_test_sensor=True)
    classpath, kwargs = trigger.serialize()
    assert classpath == "revwh.transform.cosmos_watcher.ModelStatusTrigger"
    again = ModelStatusTrigger(**kwargs)
    assert again.serialize() == (classpath, kwargs)


def _dbt_line(name: str, status: str, resource_type: str = "model") -> str:
    """One of dbt's JSON log lines, as Cosmos' event callback hands it on."""
    import json

    return json.dumps({
        "info": {"name": name, "msg": f"{name} {UID}", "level": "info",
                 "ts": "2026-09-02T03:00:00Z"},
        "data": {"node_info": {"unique_id": UID, "node_status": status,
                               "resource_type": resource_type, "node_path": "x.sql",
                               "node_started_at": "2026-09-02T03:00:00",
                               "node_finished_at": "2026-09-02T03:00:01"}}}, indent=2)


def test_the_producer_writes_a_node_xcom_only_when_it_is_over(caplog):
    """Cosmos writes an XCom (a call through the API server) for each of a node's four events;
    its model tasks read it once the node is over, so the progress events are only logged."""
    pushed: list[tuple[str, object]] = []
    ti = SimpleNamespace(xcom_push=lambda key, value: pushed.append((key, value)),
                         xcom_pull=lambda **_: None)
    producer = object.__new__(RebuildingProducer)
    for name, value in {"tests_per_model": {}, "test_results_per_model": {},
                        "_model_outlet_uris": {}, "_dataset_namespace": None,
                        "_should_generate_model_uris": False,
                        "_upstream_failure_skipped_ids": set()}.items():
        object.__setattr__(producer, name, value)  # what Cosmos' __init__ would have set
    parse = producer._make_parse_callable()
    extra = {"context": {"ti": ti}}
    with caplog.at_level("INFO"):
        for name in ("NodeStart", "NodeCompiling", "NodeExecuting"):
            parse(_dbt_line(name, "started"), extra)
        assert pushed == []
        assert all(f"{name} {UID}" in caplog.text
                   for name in ("NodeStart", "NodeCompiling", "NodeExecuting"))
        parse(_dbt_line("NodeFinished", "success"), extra)
    keys = {key for key, _ in pushed}
    assert keys == {"model__revenue_warehouse__int_ga4__sessions_dbt_event",
                    "model__revenue_warehouse__int_ga4__sessions_status"}, pushed
    assert dict(pushed)["model__revenue_warehouse__int_ga4__sessions_status"]["status"] == \
        "success"
