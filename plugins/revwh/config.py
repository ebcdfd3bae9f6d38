"""All settings in one place, read from the environment.

- WAREHOUSE_URL: PostgreSQL URL of the warehouse database (default: the embedded PostgreSQL)
- LANDING_URL: where extracts land, a folder or an fsspec URL (default: $REVWH_HOME/landing)
- REVWH_HOME: local state: embedded PostgreSQL, Airflow home, logs (default: <project>/.local)
- EMBEDDED_PG_PORT: TCP port of the embedded PostgreSQL on 127.0.0.1 (default: 54329)
- CRM: the CRM whose extracts the DAG reads: hubspot, salesforce or csv_crm (default: hubspot)
- CRM_MAPPING_FILE: with CRM=csv_crm, the mapping of its CSV exports (default: the example)
- LOOKBACK_DAYS_<PLATFORM>: days before each run re-read for restatements (revwh.sources)
- BUILD_LEASE_STALE_MINUTES: after how long a run's claim on the audit schema is taken to be
  abandoned and may be taken over (revwh.lease; default: 360)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DAGS_DIR = PROJECT_ROOT / "dags"
PLUGINS_DIR = PROJECT_ROOT / "plugins"

# Schemas of the warehouse, in the order data flows through them.
OPS_SCHEMA = "ops"
AUDIT_SCHEMA = "audit"
PUBLISHED_SCHEMA = "marts"

# One DAG run at a time builds, audits and publishes (revwh.lease): a run waiting for the audit
# schema checks every few seconds.
BUILD_LEASE_POKE_SECONDS = 3

WAREHOUSE_DATABASE = "warehouse"
AIRFLOW_DATABASE = "airflow"

# Nothing calls home: dbt, Great Expectations and Airflow telemetry are off.
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
}


@dataclass(frozen=True)
class Settings:
    warehouse_url: str | None
    landing_url: str
    home: Path
    embedded_pg_port: int

    @property
    def embedded_pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"


def crm_mapping_file() -> Path:
    return Path(os.environ.get("CRM_MAPPING_FILE")
                or PROJECT_ROOT / "examples" / "byo_crm" / "mapping.yml")


def settings() -> Settings:
    home = Path(os.environ.get("REVWH_HOME") or PROJECT_ROOT / ".local").resolve()
    return Settings(
        warehouse_url=os.environ.get("WAREHOUSE_URL") or None,
        landing_url=os.environ.get("LANDING_URL") or str(home / "landing"),
        home=home,
        embedded_pg_port=int(os.environ.get("EMBEDDED_PG_PORT") or 54329),
    )


def build_lease_stale_after() -> timedelta:
    """A claim older than this is taken to be abandoned (its run died without releasing it)."""
    return timedelta(minutes=int(os.environ.get("BUILD_LEASE_STALE_MINUTES") or 360))


def apply_telemetry_off() -> None:
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)
