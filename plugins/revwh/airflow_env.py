"""The environment Airflow runs in: this project's DAGs and plugins, its metadata database on
the warehouse's server (the embedded PostgreSQL by default), examples and telemetry off."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from revwh.config import DAGS_DIR, PLUGINS_DIR, TELEMETRY_OFF, settings


def airflow_env() -> dict[str, str]:
    from revwh.warehouse import airflow_metadata_url

    conf = settings()
    conf.airflow_home.mkdir(parents=True, exist_ok=True)
    pythonpath = os.pathsep.join(p for p in (str(PLUGINS_DIR), os.environ.get("PYTHONPATH")) if p)
    env = {
        **TELEMETRY_OFF,
        "AIRFLOW_HOME": str(conf.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": os.environ.get("AIRFLOW__CORE__EXECUTOR", "LocalExecutor"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": os.environ.get(
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or airflow_metadata_url(),
        "PYTHONPATH": pythonpath,
        # airflow standalone starts its components as `airflow …` subprocesses
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    return env


def apply() -> dict[str, str]:
    """Set the Airflow environment in this process (before airflow is imported)."""
    env = airflow_env()
    for key, value in env.items():
        if key in TELEMETRY_OFF:
            os.environ.setdefault(key, value)
        else:
            os.environ[key] = value
    return env
