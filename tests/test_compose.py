"""The team deployment's compose file parses and has what `docker compose up` needs (there is no
Docker engine here to run it; tests/test_celery.py runs the CeleryExecutor path for real)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker", "airflow-init")
LONG_RUNNING = ("postgres", "redis", *AIRFLOW_SERVICES[:-1])


def _mount(volume: str) -> tuple[str, str]:
    """(container path, source) of a short-syntax volume; the source may hold ${VAR:-x}."""
    spec = volume.removesuffix(":ro").removesuffix(":rw")
    source, target = spec.rsplit(":", 1)
    return target, source


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def services(compose_text: str) -> dict:
    return yaml.safe_load(compose_text)["services"]  # merge keys (<<: *anchor) resolved


def test_the_services_of_airflows_official_layout(services: dict):
    assert set(services) >= {"postgres", "redis", *AIRFLOW_SERVICES}
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES[:-1]}
    assert commands == {
        "airflow-apiserver": "airflow api-server", "airflow-scheduler": "airflow scheduler",
        "airflow-dag-processor": "airflow dag-processor",
        "airflow-triggerer": "airflow triggerer", "airflow-worker": "airflow celery worker"}
    assert "airflow db migrate" in services["airflow-init"]["command"][-1]
    assert services["airflow-apiserver"]["ports"] == ["8080:8080"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"] == ".", name
    assert (ROOT / "Dockerfile").exists()


def test_celery_executor_with_redis_and_the_result_backend_in_postgres(services: dict):
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].endswith("@postgres:5432/airflow"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
        assert env["WAREHOUSE_URL"].endswith("@postgres:5432/warehouse"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == \
            "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/revwh/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/revwh/plugins"


def test_the_project_is_mounted_into_every_airflow_container(services: dict):
    for name in AIRFLOW_SERVICES:
        mounts = dict(_mount(volume) for volume in services[name]["volumes"])
        for folder in ("dags", "plugins", "dbt_project", "expectations", "contracts"):
            assert mounts[f"/opt/revwh/{folder}"] == f"./{folder}", (name, folder)
            assert (ROOT / folder).is_dir()
        # dbt artifacts written by a run's audit (dbt docs) are read by its publish on any worker
        assert mounts["/opt/revwh/.local"] == "revwh-state"
        assert "/opt/revwh/landing" in mounts


def test_two_databases_on_one_postgres(services: dict):
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_DB"] == "warehouse"
    assert postgres["environment"]["EXTRA_DATABASES"] == "airflow"
    script = next(source for target, source in map(_mount, postgres["volumes"])
                  if target.startswith("/docker-entrypoint-initdb.d/"))
    text = (ROOT / script).read_text()
    assert "EXTRA_DATABASES" in text and "create database" in text


def test_secrets_come_from_the_env_file(services: dict, compose_text: str):
    for name in AIRFLOW_SERVICES:
        assert services[name]["env_file"] == [".env"], name
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    # every variable the compose file requires is in the example, as a placeholder only
    required = set(re.findall(r"\$\{(\w+):\?", compose_text))
    assert required >= {"POSTGRES_PASSWORD"}
    assert required <= set(example)
    for secret in ("POSTGRES_PASSWORD", "AIRFLOW_ADMIN_PASSWORD",
                   "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
        assert example[secret].startswith("replace-with-"), secret
    # no password or key is written into the compose file itself
    assert not re.search(r"(?i)(password|secret|fernet)[\w]*:\s*['\"]?(?!\$\{)\w", compose_text)


def test_healthchecks_and_start_order(services: dict):
    for name in LONG_RUNNING:
        assert services[name]["healthcheck"]["test"], name
    for name in AIRFLOW_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name != "airflow-init":
            assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == \
        "service_healthy"


def test_the_warehouse_secrets_are_required_from_the_env_file(services: dict):
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        for secret in ("REVWH_BI_PASSWORD", "REVWH_PII_SALT"):
            assert env[secret].startswith(f"${{{secret}:?"), (name, secret)
