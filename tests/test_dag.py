"""The nightly DAG parses, has the expected tasks and wiring (a task per dbt model, rendered by
Cosmos from the dbt manifest), and owns real data intervals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.timetables.interval import CronDataIntervalTimetable

from revwh.core.config import DAGS_DIR, DBT_PROJECT_DIR
from revwh.core.sources import enabled_sources
from revwh.transform.cosmos_build import (
    GROUP_ID,
    MANIFEST_COMMAND,
    MANIFEST_PATH,
    manifest_nodes,
    runtime_dbt_settings,
    write_manifest,
)

PLATFORMS = {source.platform for source in enabled_sources().values()}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def dag(monkeypatch_module):
    # LOCAL, as dag.test runs it (revwh.ops.dagrun): a dbt command per task; WATCHER below
    monkeypatch_module.setenv("REVWH_DBT_EXECUTION_MODE", "local")
    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags["revenue_nightly"]


def _dbt_tasks(dag) -> list:
    return [task for task in dag.tasks if task.task_id.startswith(f"{GROUP_ID}.")]


def test_tasks_and_dependencies(dag):
    assert {"google_ads", "meta_ads", "linkedin_ads", "ga4", "hubspot", "ecb"} == PLATFORMS
    expected = {f"{step}_{key}" for key in PLATFORMS for step in ("extract", "load")}
    expected |= {f"pull_{key}" for key in PLATFORMS}  # skipped for a file drop
    expected |= {"check_interval", "claim_build", "audit", "publish", "release_build",
                 "summary"}
    assert {t for t in dag.task_ids if not t.startswith(f"{GROUP_ID}.")} == expected
    # the first task refuses days before REVWH_START_DATE; the DAG has no start_date of its
    # own, so that a run of such a day has that task to fail (revwh.ops.pipeline)
    assert dag.start_date is None
    assert dag.get_task("check_interval").downstream_task_ids == {
        f"pull_{key}" for key in PLATFORMS}
    for key in PLATFORMS:
        assert dag.get_task(f"pull_{key}").upstream_task_ids == {"check_interval"}
        assert dag.get_task(f"pull_{key}").downstream_task_ids == {f"extract_{key}"}
        assert dag.get_task(f"extract_{key}").trigger_rule == "none_failed"
        assert dag.get_task(f"extract_{key}").downstream_task_ids == {f"load_{key}"}
        assert "claim_build" in dag.get_task(f"load_{key}").downstream_task_ids
    dbt = {task.task_id: task for task in _dbt_tasks(dag)}
    roots = {tid for tid, task in dbt.items() if not task.upstream_task_ids & set(dbt)}
    leaves = {tid for tid, task in dbt.items() if not task.downstream_task_ids & set(dbt)}
    assert dag.get_task("claim_build").downstream_task_ids == roots | {"release_build"}
    assert dag.get_task("audit").upstream_task_ids == leaves
    assert dag.get_task("audit").downstream_task_ids >= {"publish"}
    assert dag.get_task("publish").downstream_task_ids == {"summary", "release_build"}
    assert dag.get_task("publish").upstream_task_ids == {"audit"}


SESSIONS = "model.revenue_warehouse.int_ga4__sessions"


def _task_of(dag, uid: str, step: str) -> str:
    """The task of a dbt node's step (run, test or seed): `<name>.<step>` in the node's own
    group when it has tests, else `<name>_<step>`."""
    name = uid.split(".")[-1]
    grouped = f"{GROUP_ID}.{name}.{step}"
    return grouped if grouped in dag.task_ids else f"{GROUP_ID}.{name}_{step}"


def test_each_dbt_model_is_a_task_after_its_parents_with_its_tests_after_it(dag):
    nodes = manifest_nodes()
    models = [uid for uid in nodes if uid.startswith("model.")]
    seeds = [uid for uid in nodes if uid.startswith("seed.")]
    assert len(models) >= 55 and seeds  # those of the CRM this deployment reads
    dbt = {task.task_id for task in _dbt_tasks(dag)}
    expected = {_task_of(dag, uid, "run") for uid in models}
    expected |= {_task_of(dag, uid, "seed") for uid in seeds}
    tested = {uid for uid in nodes if f"{GROUP_ID}.{uid.split('.')[-1]}.test" in dag.task_ids}
    expected |= {_task_of(dag, uid, "test") for uid in tested}
    # the manifest's enabled tests: those of one node are in its group (the others' rules are
    # database constraints: enforced contracts), a test of several is a task of its own
    tests = {node["name"]: sorted(set(node["depends_on"]["nodes"]))
             for node in json.loads(MANIFEST_PATH.read_text())["nodes"].values()
             if node["resource_type"] == "test" and node["config"]["enabled"]}
    single = {of[0] for of in tests.values() if len(of) == 1}
    assert single <= tested and len(single) >= 15
    # Cosmos gives a model whose every test is of several models (`channels`) a test task too;
    # it excludes them all
    for uid in tested - single:
        task = dag.get_task(_task_of(dag, uid, "test"))
        excluded = task.exclude.split() if isinstance(task.exclude, str) else task.exclude
        assert set(excluded) >= {name for name, of in tests.items() if uid in of}, uid
    # a test of several models is a task of its own, after each of them
    detached = dbt - expected
    assert len(detached) == sum(len(of) > 1 for of in tests.values()) >= 25
    for task_id in detached:
        task = dag.get_task(task_id)
        assert task_id.endswith("_test") and len(task.upstream_task_ids) >= 2, task_id
        for parent in task.upstream_task_ids:
            assert parent.endswith((".test", "_run", "_seed", ".seed")), (task_id, parent)
        assert f"{GROUP_ID}.{task.select}_test" == task_id

    def done(uid: str) -> str:  # a node is done when its tests passed
        if uid in tested:
            return _task_of(dag, uid, "test")
        return _task_of(dag, uid, "seed" if uid.startswith("seed.") else "run")

    for uid in models:
        run = dag.get_task(_task_of(dag, uid, "run"))
        for parent in nodes[uid]:
            if parent in nodes:
                assert done(parent) in run.upstream_task_ids, (run.task_id, parent)
    for uid in tested:
        test = dag.get_task(_task_of(dag, uid, "test"))
        step = "seed" if uid.startswith("seed.") else "run"
        assert test.upstream_task_ids == {_task_of(dag, uid, step)}, uid
    # the relationships test of sales_follow_up.owner_id runs after both models, not with
    # the owners' tests (before sales_follow_up is built)
    owners = dag.get_task(f"{GROUP_ID}.int_crm__owners.test")
    assert "relationships_sales_follow_up_owner_id" in owners.exclude
    follow_up = [dag.get_task(t) for t in detached if "sales_follow_up_owner_id" in t]
    assert len(follow_up) == 1 and follow_up[0].upstream_task_ids >= {
        owners.task_id, done("model.revenue_warehouse.sales_follow_up")}


def test_the_dbt_tasks_get_params_connection_and_vars_at_run_time(dag):
    run = dag.get_task(_task_of(dag, SESSIONS, "run"))
    assert run.full_refresh == "{{ params.full_refresh }}"  # templated: the run's param
    assert "full_refresh" in run.template_fields
    for task in _dbt_tasks(dag):
        assert task.interceptors == [runtime_dbt_settings], task.task_id
        # nothing of the connection or the PII salt is frozen into the DAG at parse time
        assert not task.vars and "REVWH_PG_PASSWORD" not in (task.env or {}), task.task_id


def test_runtime_dbt_settings_are_those_of_run_dbt(monkeypatch):
    from types import SimpleNamespace

    from revwh.transform.dbt_runner import dbt_env, dbt_vars

    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://etl:replace-with-a-password@db.example:6543/wh")
    monkeypatch.setenv("REVWH_PII_SALT", "test-salt")
    operator = SimpleNamespace(env={"KEEP": "1"}, vars=None)
    runtime_dbt_settings({}, operator)
    assert operator.env == {"KEEP": "1", **dbt_env()}
    assert operator.env["REVWH_PG_HOST"] == "db.example"
    assert operator.env["REVWH_PG_PASSWORD"] == "replace-with-a-password"
    assert "jit=off" in operator.env["PGOPTIONS"]
    assert operator.vars == dbt_vars() and operator.vars["pii_salt"] == "test-salt"


def test_only_publish_emits_an_asset(dag):
    emitting = {task.task_id: task.outlets for task in dag.tasks if task.outlets}
    assert list(emitting) == ["publish"]
    assert [asset.name for asset in emitting["publish"]] == ["revwh_marts"]


def test_build_audit_publish_hold_the_build_lease(dag):
    """One run at a time builds the shared audit schema: claim_build is the setup and
    release_build the teardown around the dbt build, audit and publish."""
    claim, release = dag.get_task("claim_build"), dag.get_task("release_build")
    assert claim.is_setup and release.is_teardown
    assert release.upstream_task_ids == {"claim_build", "publish"}
    # a run whose platforms were partly skipped still builds
    assert claim.trigger_rule == "none_failed_min_one_success"
    assert dag.get_task("summary").trigger_rule == "none_failed_min_one_success"
    # clearing one step of the chain, one dbt model's task included, clears its claim and
    # release with it (and, with its downstream, the rest of the chain)
    sessions = _task_of(dag, SESSIONS, "run")
    for task_id in (sessions, f"{GROUP_ID}.stg_meta_ads__ads_insights.test",
                    f"{GROUP_ID}.scorecard_targets.seed", "audit", "publish"):
        cleared = dag.partial_subset(task_id, include_upstream=False, include_downstream=False)
        assert {"claim_build", task_id, "release_build"} <= set(cleared.task_ids), task_id
    cleared = dag.partial_subset(sessions, include_upstream=False, include_downstream=True)
    assert {"claim_build", "audit", "publish", "release_build", "summary"} <= set(cleared.task_ids)
    # with its test (relationships to the channels: a task after both models)
    assert any("int_ga4__sessions" in t and t.endswith("_test") for t in cleared.task_ids)
    assert not any(t.startswith(("pull_", "extract_", "load_")) for t in cleared.task_ids)
    assert f"{GROUP_ID}.stg_ga4__events.run" not in cleared.task_ids


def test_watcher_mode_one_dbt_build_watched_by_the_model_tasks(monkeypatch):
    """The default (REVWH_DBT_EXECUTION_MODE unset or watcher): one task runs the whole dbt
    build, each model's task is a sensor (deferred to the triggerer) of its model's outcome;
    the same lease and Asset."""
    monkeypatch.delenv("REVWH_DBT_EXECUTION_MODE", raising=False)
    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    dag = bag.dags["revenue_nightly"]
    producer = dag.get_task(f"{GROUP_ID}.dbt_producer_watcher")
    assert producer.upstream_task_ids == {"claim_build"}
    run = dag.get_task(f"{GROUP_ID}.int_ga4__sessions.run")
    assert run.deferrable and run.interceptors == [runtime_dbt_settings]
    assert producer.interceptors == [runtime_dbt_settings]
    # every model, test and seed task starts in the triggerer (no worker unless it fails or
    # is cleared: revwh.transform.cosmos_watcher); the producer runs in a worker
    watchers = [t for t in _dbt_tasks(dag) if t.task_id.endswith((".run", "_run", ".test",
                                                                    ".seed", "_seed"))]
    assert len(watchers) >= 90
    for task in watchers:
        assert task.start_from_trigger, task.task_id
        args = task.start_trigger_args
        assert args.trigger_cls == "revwh.transform.cosmos_watcher.ModelStatusTrigger"
        assert args.next_method == "execute_complete"
        assert args.trigger_kwargs["model_unique_id"] == task.model_unique_id
        assert args.trigger_kwargs["dag_id"] == "revenue_nightly"
        assert "run_id" not in args.trigger_kwargs  # the run's own, at run time
    assert not producer.start_from_trigger
    assert not [t for t in dag.task_ids if t.endswith("_test")]  # no detached tests
    cleared = dag.partial_subset(run.task_id, include_upstream=False, include_downstream=False)
    assert {"claim_build", run.task_id, "release_build"} <= set(cleared.task_ids)
    assert [t.task_id for t in dag.tasks if t.outlets] == ["publish"]


def test_single_mode_one_dbt_build_task(monkeypatch):
    """REVWH_DBT_EXECUTION_MODE=single (what dag.test uses: revwh run, make demo): one
    `transform` task runs the whole dbt build; no Cosmos task."""
    monkeypatch.setenv("REVWH_DBT_EXECUTION_MODE", "single")
    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    dag = bag.dags["revenue_nightly"]
    assert not _dbt_tasks(dag)
    assert dag.get_task("claim_build").downstream_task_ids == {"transform", "release_build"}
    assert dag.get_task("transform").downstream_task_ids == {"audit"}
    assert [t.task_id for t in dag.tasks if t.outlets] == ["publish"]


def test_dag_test_builds_with_one_task_unless_told(monkeypatch):
    from revwh.ops import dagrun

    monkeypatch.delenv("REVWH_DBT_EXECUTION_MODE", raising=False)
    assert "transform" in dagrun.load_dag().task_ids
    monkeypatch.setenv("REVWH_DBT_EXECUTION_MODE", "local")
    assert _task_of(dagrun.load_dag(), SESSIONS, "run") in dagrun.load_dag().task_ids


def test_an_unknown_execution_mode_is_named(monkeypatch):
    from revwh.core.errors import WarehouseError
    from revwh.transform.cosmos_build import execution_mode

    monkeypatch.setenv("REVWH_DBT_EXECUTION_MODE", "kubernetes")
    with pytest.raises(WarehouseError, match="REVWH_DBT_EXECUTION_MODE=kubernetes.*watcher"):
        execution_mode()


def test_the_manifest_is_current(tmp_path):
    """The manifest the DAG is rendered from has the dbt project's models, seeds and
    dependencies as they are now (make setup writes it: revwh dbt-manifest)."""
    assert MANIFEST_PATH.is_file(), f"no dbt manifest: {MANIFEST_COMMAND}"
    models = {p.stem for p in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    nodes = manifest_nodes()
    fresh_path = write_manifest(tmp_path / "target")
    # the other CRMs' models are disabled (dbt_project.yml), and only theirs
    disabled = {uid.split(".")[-1] for uid in json.loads(fresh_path.read_text())["disabled"]
                if uid.startswith("model.")}
    assert disabled and all("salesforce" in name or "csv_crm" in name for name in disabled)
    assert {uid.split(".")[-1] for uid in nodes if uid.startswith("model.")} == models - disabled
    assert nodes == manifest_nodes(fresh_path), \
        f"the dbt manifest is out of date: {MANIFEST_COMMAND}"


def test_a_manifest_of_another_crm_fails_the_dag_naming_the_command(monkeypatch):
    """The manifest renders the tasks of the CRM it was parsed for: a deployment switched to
    another CRM fails to import until the manifest is written again."""
    monkeypatch.setenv("CRM", "salesforce")
    errors = DagBag(dag_folder=str(DAGS_DIR)).import_errors
    assert len(errors) == 1
    message = next(iter(errors.values()))
    assert "parsed for CRM=hubspot" in message and "reads CRM=salesforce" in message
    assert "make setup" in message


def test_without_the_manifest_the_dag_fails_naming_the_command(monkeypatch, tmp_path):
    from revwh.transform import cosmos_build

    monkeypatch.setattr(cosmos_build, "MANIFEST_PATH", tmp_path / "manifest.json")
    errors = DagBag(dag_folder=str(DAGS_DIR)).import_errors
    assert len(errors) == 1
    message = next(iter(errors.values()))
    assert "ManifestMissing" in message and "revwh dbt-manifest" in message
    assert "make setup" in message


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


WAREHOUSE_CONN = ('{"conn_type": "postgres", "host": "wh.example", "port": 6543, '
                  '"login": "etl", "password": "replace-with-a/pass@word", "schema": "warehouse", '
                  '"extra": {"sslmode": "require", "keepalives_idle": "30"}}')


def test_the_warehouse_connection_wins_over_warehouse_url(monkeypatch):
    """REVWH_WAREHOUSE_CONN_ID names an Airflow Connection (here AIRFLOW_CONN_<ID>, JSON): the
    warehouse URL, dbt's variables and the interceptor come from it, not WAREHOUSE_URL."""
    from types import SimpleNamespace

    from revwh.transform.dbt_runner import dbt_env
    from revwh.warehouse.connection import url_parts, warehouse_url

    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/not_this_one")
    monkeypatch.setenv("REVWH_WAREHOUSE_CONN_ID", "revwh_warehouse")
    monkeypatch.setenv("AIRFLOW_CONN_REVWH_WAREHOUSE", WAREHOUSE_CONN)
    monkeypatch.setenv("REVWH_PII_SALT", "test-salt")
    url = warehouse_url()
    assert url == ("postgresql://etl:replace-with-a%2Fpass%40word@wh.example:6543/warehouse"
                   "?sslmode=require")
    assert url_parts(url) == {"host": "wh.example", "port": "6543", "user": "etl",
                              "password": "replace-with-a/pass@word", "dbname": "warehouse",
                              "sslmode": "require"}
    operator = SimpleNamespace(env={}, vars=None)
    runtime_dbt_settings({}, operator)
    assert operator.env == dbt_env() and operator.env["REVWH_PG_HOST"] == "wh.example"
    assert operator.env["REVWH_PG_SSLMODE"] == "require"


@pytest.mark.parametrize("value, message", [
    (None, "the Airflow Connection revwh_warehouse cannot be read"),
    ('{"conn_type": "http", "host": "wh.example", "schema": "warehouse"}',
     "must be of type postgres with a host and a schema"),
    ('{"conn_type": "postgres", "host": "wh.example"}',
     "must be of type postgres with a host and a schema"),
])
def test_a_missing_or_wrong_warehouse_connection_names_the_setting(monkeypatch, value, message):
    from revwh.core.errors import WarehouseError
    from revwh.warehouse.connection import warehouse_url

    monkeypatch.setenv("REVWH_WAREHOUSE_CONN_ID", "revwh_warehouse")
    if value is None:
        monkeypatch.delenv("AIRFLOW_CONN_REVWH_WAREHOUSE", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW_CONN_REVWH_WAREHOUSE", value)
    with pytest.raises(WarehouseError, match=message) as raised:
        warehouse_url()
    assert "REVWH_WAREHOUSE_CONN_ID" in str(raised.value)


def test_cosmos_builds_the_dbt_profile_from_the_warehouse_connection(monkeypatch, tmp_path):
    """With REVWH_WAREHOUSE_CONN_ID the Cosmos tasks' profile is Cosmos' postgres mapping of the
    Connection (read at run time): the same target as profiles.yml, the password as an
    environment variable, never in the profile file."""
    import yaml
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    from revwh.transform.cosmos_build import profile_config

    monkeypatch.delenv("REVWH_WAREHOUSE_CONN_ID", raising=False)
    assert profile_config().profile_mapping is None
    monkeypatch.setenv("REVWH_WAREHOUSE_CONN_ID", "revwh_warehouse")
    monkeypatch.setenv("AIRFLOW_CONN_REVWH_WAREHOUSE", WAREHOUSE_CONN)
    config = profile_config()
    mapping = config.profile_mapping
    assert isinstance(mapping, PostgresUserPasswordProfileMapping)
    assert mapping.conn_id == "revwh_warehouse"
    with config.ensure_profile() as (path, env):
        text = path.read_text()
        written = yaml.safe_load(text)
    target = written["revenue_warehouse"]["outputs"]["warehouse"]
    ours = yaml.safe_load(
        (DBT_PROJECT_DIR / "profiles.yml").read_text())["revenue_warehouse"]["outputs"][
            "warehouse"]
    assert {k: target[k] for k in ("schema", "threads", "connect_timeout")} == \
        {k: ours[k] for k in ("schema", "threads", "connect_timeout")}
    assert (target["host"], target["port"], target["user"], target["dbname"],
            target["sslmode"]) == ("wh.example", 6543, "etl", "warehouse", "require")
    secret = "replace-with-a/pass@word"
    assert secret not in text and list(env.values()) == [secret]
