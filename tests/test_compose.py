"""The compose file parses and wires the project into Airflow (no Docker engine here to run it)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_file_has_the_stack():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "airflow"} <= set(services)
    mounts = {volume.split(":")[1] for volume in services["airflow"]["volumes"]}
    for folder in ("dags", "plugins", "dbt_project", "expectations"):
        assert f"/opt/revwh/{folder}" in mounts
    assert "WAREHOUSE_URL" in services["airflow"]["environment"]
    assert "8080:8080" in services["airflow"]["ports"]
    # the password comes from the environment (.env), never from the file
    assert "${POSTGRES_PASSWORD" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    for secret in ("REVWH_BI_PASSWORD", "REVWH_PII_SALT"):
        assert services["airflow"]["environment"][secret].startswith(f"${{{secret}:?")
    assert (ROOT / "Dockerfile").exists()
