"""The nightly dbt build as one Airflow task per dbt model (astronomer-cosmos), so an engineer
sees each model in the grid and can clear just one.

The DAG is rendered from a precompiled manifest (``LoadMode.DBT_MANIFEST``): parsing the DAG
runs no dbt and needs no database. ``revwh dbt-manifest`` (run by ``make setup``,
``make demo``, ``make airflow`` and the compose ``airflow-init`` service) writes it with
``dbt parse`` to ``dbt_project/target/manifest.json``; without it the DAG fails to import,
naming that command.

At run time each task gets what ``revwh.transform.dbt_runner.run_dbt`` gives dbt: the profile's
``REVWH_PG_*`` variables and PGOPTIONS with JIT off (``dbt_env``), and the vars
(``dbt_vars``: contract, CRM, lookback, PII salt). They are computed by an interceptor just
before each dbt command, not at DAG parse time, so the serialized DAG holds neither the
warehouse password nor the PII salt and a changed WAREHOUSE_URL applies to the next task; both
values are registered with Airflow's secrets masker (task logs and rendered fields).

Cosmos telemetry is off: ``AIRFLOW__COSMOS__ENABLE_TELEMETRY=False`` and ``DO_NOT_TRACK=1``
(``revwh.core.config.TELEMETRY_OFF``, set before cosmos is imported; cosmos.telemetry.should_emit).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from revwh.core.config import DBT_PROJECT_DIR, apply_telemetry_off, settings
from revwh.core.errors import WarehouseError
from revwh.core.sources import active_crm

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
# Beside the manifest: the CRM it was parsed for. The models and tests of the other CRMs are
# disabled (dbt_project.yml), so a manifest of another CRM would render the wrong tasks.
MANIFEST_CRM_NAME = "manifest_crm.txt"
MANIFEST_COMMAND = "make setup (or: .venv/bin/revwh dbt-manifest)"
GROUP_ID = "dbt_build"
# How the DAG runs dbt (REVWH_DBT_EXECUTION_MODE; measured in docs/benchmarks.md, "Cosmos: the
# dbt build as a task per model"):
# watcher (default): one task runs the whole `dbt build`; each model's task reports its model's
#   outcome, started and ended in the triggerer (revwh.transform.cosmos_watcher; make airflow and
# docker
#   compose run one); a model task cleared on its own runs its model's dbt command itself.
# local: each task runs its own dbt command (dbt run / dbt test of its model).
# single: no task per model: one task, `transform`, runs the whole `dbt build`. revwh.ops.dagrun
#   (dag.test: revwh run, make demo, the end-to-end tests) uses it unless told otherwise:
#   dag.test runs one task at a time, where WATCHER would deadlock and LOCAL takes ~60x longer.
EXECUTION_MODES = ("watcher", "local", "single")
DEFAULT_EXECUTION_MODE = "watcher"
# dbt parse needs the profile's variables, not a connection.
_PARSE_URL = "postgresql://dbt@127.0.0.1:5432/manifest"
_PARSE_SALT = "placeholder-not-used-for-parsing"


# profiles.yml's target settings besides the connection (a Connection's profile gets them too)
PROFILE_ARGS = {"schema": "staging", "threads": 4, "connect_timeout": 10}


class ManifestMissing(WarehouseError):
    """The dbt manifest the DAG is rendered from has not been produced."""


def execution_mode() -> str:
    mode = (os.environ.get("REVWH_DBT_EXECUTION_MODE") or DEFAULT_EXECUTION_MODE).lower()
    if mode not in EXECUTION_MODES:
        raise WarehouseError(f"REVWH_DBT_EXECUTION_MODE={mode}: expected one of "
                             f"{', '.join(EXECUTION_MODES)}")
    return mode


def write_manifest(target_dir: Path | None = None) -> Path:
    """dbt parse into target_dir (default: dbt_project/target); the manifest's path. Uses no
    database and no secret (a placeholder PII salt: of the vars only the CRM changes the
    project's graph, and it is recorded beside the manifest)."""
    from dbt.cli.main import dbtRunner

    from revwh.transform.dbt_runner import dbt_env, dbt_vars

    apply_telemetry_off()
    target = Path(target_dir or MANIFEST_PATH.parent)
    saved = {key: os.environ.get(key) for key in dbt_env(_PARSE_URL)}
    os.environ.update(dbt_env(_PARSE_URL))
    try:
        outcome = dbtRunner().invoke([
            "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
            str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path",
            str(settings().dbt_log_dir), "--vars", json.dumps(dbt_vars({"pii_salt": _PARSE_SALT}))])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not outcome.success:
        raise WarehouseError(f"dbt parse failed: {outcome.exception or 'see the dbt log'}")
    (target / MANIFEST_CRM_NAME).write_text(active_crm() + "\n")
    return target / "manifest.json"


def check_manifest(path: Path | None = None) -> None:
    """Raise ManifestMissing, naming the command that fixes it, unless the manifest exists and
    was parsed for the CRM this deployment reads."""
    path = path or MANIFEST_PATH
    if not path.is_file():
        raise ManifestMissing(
            f"the dbt manifest {path} the DAG's per-model tasks are rendered from is "
            f"missing: create it with {MANIFEST_COMMAND}")
    marker = path.parent / MANIFEST_CRM_NAME
    parsed_for = marker.read_text().strip() if marker.is_file() else "an unknown CRM"
    if parsed_for != active_crm():
        raise ManifestMissing(
            f"the dbt manifest {path} was parsed for CRM={parsed_for}, and this deployment "
            f"reads CRM={active_crm()}: write it again with {MANIFEST_COMMAND}")


def manifest_nodes(path: Path = MANIFEST_PATH) -> dict[str, list[str]]:
    """The models and seeds of a manifest, each with what it depends on."""
    nodes = json.loads(Path(path).read_text())["nodes"]
    return {uid: sorted(node["depends_on"].get("nodes", [])) for uid, node in nodes.items()
            if node["resource_type"] in ("model", "seed")}


def runtime_dbt_settings(context: Any, operator: Any) -> None:
    """Cosmos interceptor, run right before each dbt command: the profile's connection and the
    dbt vars, as revwh.transform.dbt_runner.run_dbt computes them, at run time."""
    from airflow.sdk.log import mask_secret

    from revwh.transform.dbt_runner import dbt_env, dbt_vars

    env = dbt_env()
    variables = dbt_vars()
    for secret in (env.get("REVWH_PG_PASSWORD"), variables.get("pii_salt")):
        if secret:
            mask_secret(secret)
    operator.env = {**(operator.env or {}), **env}
    operator.vars = variables


def profile_config():
    """dbt's profile for the Cosmos tasks: with REVWH_WAREHOUSE_CONN_ID, Cosmos' postgres
    profile mapping of that Airflow Connection (read when a task runs, never at parse time; the
    password reaches dbt as an environment variable, not in a file); else the project's
    profiles.yml, whose variables the interceptor sets from WAREHOUSE_URL or the embedded
    server. The target's other settings are the same either way."""
    from cosmos import ProfileConfig
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    conn_id = settings().warehouse_conn_id
    if not conn_id:
        return ProfileConfig(profile_name="revenue_warehouse", target_name="warehouse",
                             profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml")
    return ProfileConfig(
        profile_name="revenue_warehouse", target_name="warehouse",
        profile_mapping=PostgresUserPasswordProfileMapping(
            conn_id=conn_id, profile_args=PROFILE_ARGS))


def dbt_task_group(group_id: str = GROUP_ID, mode: str | None = None, **kwargs: Any):
    """The Cosmos DbtTaskGroup of the nightly build: a task per model and seed, each model's
    tests after it (TestBehavior.AFTER_EACH), a task per test of several models after all of
    them, no Airflow Assets (only publish emits one)."""
    check_manifest()
    apply_telemetry_off()
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    mode = mode or execution_mode()
    execution = ExecutionConfig(
        execution_mode=ExecutionMode.WATCHER if mode == "watcher" else ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.DBT_RUNNER,  # in-process, as revwh.transform.dbt_runner
        dbt_executable_path=str(Path(sys.executable).parent / "dbt"))
    operator_args: dict[str, Any] = {
        "full_refresh": "{{ params.full_refresh }}",  # dbt --full-refresh (models, seeds)
        "interceptors": [runtime_dbt_settings],
    }
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR,
                                     manifest_path=MANIFEST_PATH, install_dbt_deps=False),
        profile_config=profile_config(),
        execution_config=execution,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST, emit_datasets=False,
            test_behavior=TestBehavior.AFTER_EACH,
            # LOCAL: a test of several models (relationships, reconciliations) runs in a task
            # of its own after all of them: in a model's `dbt test --select <model>` it would
            # run before the other model is built (dbt's eager indirect selection). WATCHER's
            # one dbt build orders them itself, and its sensors have no status for a detached
            # test ("There is no information about the node"), so it keeps them with a model.
            should_detach_multiple_parents_tests=mode == "local"),
        operator_args=operator_args,
        **kwargs)
    if mode == "watcher":
        from revwh.transform.cosmos_watcher import start_in_triggerer

        start_in_triggerer(group.iter_tasks())
    return group
