"""The environment Airflow runs in: this project's DAGs and plugins, its metadata database on
the warehouse's server (the embedded PostgreSQL by default), examples and telemetry off."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from revwh.core.config import DAGS_DIR, PLUGINS_DIR, TELEMETRY_OFF, parallelism, settings


def airflow_env() -> dict[str, str]:
    from revwh.warehouse.connection import airflow_metadata_url

    conf = settings()
    conf.airflow_home.mkdir(parents=True, exist_ok=True)
    env = {
        **TELEMETRY_OFF,
        "AIRFLOW_HOME": str(conf.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Cosmos' cache (dbt partial parse of the model tasks) with the rest of the local state
        "AIRFLOW__COSMOS__CACHE_DIR": os.environ.get("AIRFLOW__COSMOS__CACHE_DIR")
        or str(conf.home / "cosmos"),
        "AIRFLOW__CORE__EXECUTOR": os.environ.get("AIRFLOW__CORE__EXECUTOR", "LocalExecutor"),
        # sized to the machine: the LocalExecutor starts this many workers (Airflow's default,
        # 32, is 32 processes on 2 cores), and the API server's workers a quarter of the CPUs
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM")
        or str(parallelism()),
        "AIRFLOW__API__WORKERS": os.environ.get("AIRFLOW__API__WORKERS")
        or str(max(1, (os.cpu_count() or 1) // 4)),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": os.environ.get(
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or airflow_metadata_url(),
        # one Fernet key for every component (trigger arguments are stored encrypted: a task
        # started in the triggerer has its trigger created by the scheduler): components that
        # start together would otherwise each generate one while writing airflow.cfg
        "AIRFLOW__CORE__FERNET_KEY": os.environ.get("AIRFLOW__CORE__FERNET_KEY")
        or _fernet_key(conf.airflow_home),
        # airflow standalone starts its components as `airflow …` subprocesses
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    return env


def _fernet_key(airflow_home: Path) -> str:
    """The local Airflow's Fernet key, generated once and kept in its home (owner-only)."""
    path = airflow_home / "fernet.key"
    if not path.exists():
        from cryptography.fernet import Fernet

        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return path.read_text().strip()


def apply() -> dict[str, str]:
    """Set the Airflow environment in this process (before airflow is imported)."""
    env = airflow_env()
    for key, value in env.items():
        if key in TELEMETRY_OFF:
            os.environ.setdefault(key, value)
        else:
            os.environ[key] = value
    return env
