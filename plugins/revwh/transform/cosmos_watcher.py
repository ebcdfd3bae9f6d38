"""The model tasks of the per-model dbt build start in the triggerer, not in a worker.

Under Cosmos' WATCHER mode one task runs the night's `dbt build` and every model's task only
reports its model's outcome, read from that task's XComs. Cosmos runs each of those tasks in a
worker, which parses the DAG file and then defers to the triggerer, and resumes in a worker
again when the trigger fires: two worker processes per model, about 300 for this project, which
on a 2-core machine cost ten times the build itself (docs/benchmarks.md, "Cosmos").

`start_in_triggerer` makes those tasks start in the triggerer (Airflow's `start_from_trigger`)
with `ModelStatusTrigger`, Cosmos' own WatcherTrigger that ends the task itself when its model
succeeded or was skipped. Only what needs a worker goes to one, through Cosmos'
`execute_complete`: a failed model (the task fails with Cosmos' message) and a cleared or retried
model task once the build is over (Cosmos' fallback: the task runs its own model's dbt command,
so clearing one model rebuilds just that model).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from airflow.triggers.base import TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
from cosmos.listeners.dag_run_listener import EventStatus
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.base import _log_dbt_msg
from cosmos.operators._watcher.state import (
    ProducerTaskState,
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
    is_producer_task_terminated,
)
from cosmos.operators._watcher.triggerer import WatcherEventReason, WatcherTrigger
from cosmos.operators.watcher import DbtProducerWatcherOperator

# dbt's events of a node on its way to NodeFinished (revwh's producer writes no XCom for them)
PROGRESS_EVENTS = frozenset({"NodeStart", "NodeCompiling", "NodeExecuting"})
PROGRESS_EVENT_NAMES = tuple(f'"{name}"' for name in PROGRESS_EVENTS)

# The DAG's claim_build returns a new token each time it takes the build lease; the producer
# pushes the token it builds under (RebuildingProducer).
CLAIM_TASK_ID = "claim_build"
BUILD_CLAIM_XCOM_KEY = "revwh_build_claim"


class ModelStatusTrigger(WatcherTrigger):
    """Cosmos' WatcherTrigger for a task started in the triggerer: the run comes from the task
    instance (unknown when the DAG is parsed), and success or skip end the task right here."""

    def __init__(self, model_unique_id: str, producer_task_id: str, dag_id: str,
                 run_id: str = "", map_index: int | None = -1, poke_interval: float = 5.0,
                 is_test_sensor: bool = False, **_: Any) -> None:
        super().__init__(model_unique_id=model_unique_id, producer_task_id=producer_task_id,
                         dag_id=dag_id, run_id=run_id, map_index=map_index,
                         poke_interval=poke_interval, is_test_sensor=is_test_sensor)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        _, kwargs = super().serialize()
        return f"{__name__}.{type(self).__name__}", kwargs

    async def _xcom(self, task_id: str, key: str) -> Any:
        from airflow.sdk.execution_time.xcom import XCom
        from asgiref.sync import sync_to_async

        return await sync_to_async(XCom.get_one)(run_id=self.run_id, key=key, task_id=task_id,
                                                 dag_id=self.dag_id, map_index=-1)

    async def _status(self) -> str | None:
        """The watched node's status (a model's, or its tests' together), one XCom read."""
        if self.is_test_sensor:
            return await self.get_xcom_val(get_tests_status_xcom_key(self.model_unique_id))
        return await self._get_node_status()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        ti = self.task_instance
        if ti is not None:
            self.run_id = ti.run_id
            self.map_index = ti.map_index
        # The build lease this task runs under (a new one each time claim_build runs: a run,
        # a rerun, any task of the build cleared): the producer's statuses count only when it
        # builds under the same one. Otherwise they are an earlier build's, and once that build
        # is over this task was cleared on its own: it runs its own model (Cosmos' fallback).
        claim = await self._xcom(CLAIM_TASK_ID, "return_value")
        while True:
            current = await self._xcom(self.producer_task_id, BUILD_CLAIM_XCOM_KEY) == claim
            status = await self._status() if current else None
            if not is_dbt_node_status_terminal(status):
                producer = await self._get_producer_task_status()
                if not current:
                    if is_producer_task_terminated(producer):
                        yield _resume(WatcherEventReason.PRODUCER_SKIPPED)
                        return
                elif producer in (ProducerTaskState.FAILED, ProducerTaskState.UPSTREAM_FAILED):
                    yield _resume(WatcherEventReason.PRODUCER_FAILED)
                    return
                elif producer in (ProducerTaskState.SKIPPED, ProducerTaskState.REMOVED):
                    yield _resume(WatcherEventReason.PRODUCER_SKIPPED)
                    return
                elif producer == ProducerTaskState.SUCCESS:
                    # the build is over: its last word on the node, or none (not run: an
                    # ephemeral model, say), which Cosmos counts as success
                    status = await self._status()
                    if not is_dbt_node_status_terminal(status):
                        status = "success"
            if is_dbt_node_status_success(status):
                yield TaskSuccessEvent()
                return
            if is_dbt_node_status_skipped(status):
                yield TaskSkippedEvent()
                return
            if is_dbt_node_status_failed(status):
                yield _resume(WatcherEventReason.NODE_FAILED)  # fails with Cosmos' message
                return
            await asyncio.sleep(self.poke_interval)


def _resume(reason: WatcherEventReason) -> TriggerEvent:
    """An event that resumes the task in a worker, in Cosmos' execute_complete."""
    return TriggerEvent({"status": EventStatus.FAILED, "reason": reason})


class _FirstTry:
    """A task instance that reads as its first try (everything else is the instance's own)."""

    try_number = 1

    def __init__(self, ti: Any) -> None:
        self._ti = ti

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ti, name)


class RebuildingProducer(DbtProducerWatcherOperator):
    """Cosmos' WATCHER producer (the one `dbt build` of the run), except that it records the
    build lease it builds under, and a later try (a rerun of the day, a backfill reprocessing
    it, the producer cleared or retried) runs the whole build again: Cosmos' own skips, leaving
    every model task to run its own dbt command, about 60x slower here."""

    def _make_parse_callable(self) -> Callable[[str, Any], None]:
        """Cosmos' parser of dbt's JSON events, without the XComs of a node's progress: it
        writes one for each of NodeStart, NodeCompiling, NodeExecuting and NodeFinished, each a
        call through the API server, and its model tasks read the event only once the node is
        over (NodeFinished, written last, is what they read). The progress events are still
        logged."""
        parse = super()._make_parse_callable()

        def parse_without_progress(line: str, extra_kwargs: Any) -> None:
            if any(name in line for name in PROGRESS_EVENT_NAMES):
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    event = None
                if event is not None and event.get("info", {}).get("name") in PROGRESS_EVENTS:
                    _log_dbt_msg(event)
                    return
            parse(line, extra_kwargs)

        return parse_without_progress

    def execute(self, context: Any, **kwargs: Any) -> Any:
        ti = context["ti"]
        ti.xcom_push(key=BUILD_CLAIM_XCOM_KEY,
                     value=ti.xcom_pull(task_ids=CLAIM_TASK_ID, key="return_value"))
        if ti.try_number > 1:
            first = _FirstTry(ti)
            context = {**context, "ti": first, "task_instance": first}
        return super().execute(context, **kwargs)


def start_in_triggerer(tasks: Any, poke_interval: float = 5.0) -> int:
    """Make each Cosmos consumer (model, test and seed) task of `tasks` start in the triggerer
    with ModelStatusTrigger, and the producer a RebuildingProducer; how many consumers were
    changed."""
    from airflow.triggers.base import StartTriggerArgs
    from cosmos.operators._watcher.base import BaseConsumerSensor

    changed = 0
    for task in tasks:
        if type(task) is DbtProducerWatcherOperator:
            task.__class__ = RebuildingProducer
        if not isinstance(task, BaseConsumerSensor):
            continue
        task.start_from_trigger = True
        task.start_trigger_args = StartTriggerArgs(
            trigger_cls=f"{__name__}.ModelStatusTrigger",
            trigger_kwargs={"model_unique_id": task.model_unique_id,
                            "producer_task_id": task.producer_task_id,
                            "dag_id": task.dag_id, "poke_interval": poke_interval,
                            "is_test_sensor": task.is_test_sensor},
            next_method="execute_complete", next_kwargs=None, timeout=task.execution_timeout)
        changed += 1
    return changed
