"""All settings in one place, read from the environment.

- WAREHOUSE_URL: PostgreSQL URL of the warehouse database (default: the embedded PostgreSQL)
- REVWH_WAREHOUSE_CONN_ID: the id of an Airflow Connection (type postgres) holding the
  warehouse; when set it wins over WAREHOUSE_URL, in the DAG's tasks (Cosmos builds the dbt
  profile from it: its postgres profile mapping) and in the CLI (revwh.warehouse.connection)
- LANDING_URL: where extracts land, a folder or an fsspec URL (default: $REVWH_HOME/landing)
- REVWH_HOME: local state: embedded PostgreSQL, Airflow home, logs (default: <project>/.local)
- EMBEDDED_PG_PORT: TCP port of the embedded PostgreSQL on 127.0.0.1 (default: 54329)
- EMBEDDED_PG_DIR: the embedded PostgreSQL's folder: its data and, as root, its own copy of
  the server's binaries (default: $REVWH_HOME/pg). As root the server runs as the system user
  embedded_postgres, which must be able to reach this folder: no permission outside it is
  changed, so under a folder closed to other users (e.g. /root, mode 0700) set it elsewhere
- REVWH_START_DATE: the DAG's first day (YYYY-MM-DD, default: 2026-01-01). A run for an earlier
  day fails, naming this setting; days before it are loaded with `revwh history`
- CRM: the CRM whose extracts the DAG reads: hubspot, salesforce or csv_crm (default: hubspot)
- CRM_MAPPING_FILE: with CRM=csv_crm, the mapping of its CSV exports (default: the example)
- LOOKBACK_DAYS_<PLATFORM>: days before each run re-read for restatements (revwh.core.sources)
- REVWH_BI_ROLE: the read-only login role BI tools use (default: revwh_bi)
- REVWH_BI_PASSWORD: its password; if unset, one is generated once and kept in
  $REVWH_HOME/secrets/bi_password (mode 0600, outside the repository) (revwh.warehouse.access)
- REVWH_PII_SALT: the salt of the hashed person keys in the marts; if unset, generated once into
  $REVWH_HOME/secrets/pii_salt. Changing it changes every person_id.
- REVWH_ALERT_WEBHOOK_URL: where a failed run's alert is POSTed as JSON (default: log only)
- REVWH_ALERT_TIMEOUT_SECONDS: how long the alert POST may take (default: 10)
- REVWH_EVIDENCE_DIR: where each run's audit evidence is kept, one folder per run: Great
  Expectations Data Docs and validation results, the suites as run, dbt docs
  (default: $REVWH_HOME/evidence)
- REVWH_EVIDENCE_KEEP_DAYS: a run's evidence folder is deleted once it is older than this many
  days (default: 30); 0 keeps every run's
- REVWH_EVIDENCE_KEEP_RUNS: however old, the evidence of this many newest runs is kept
  (default: 10); the current run's is always kept
- REVWH_LOG_KEEP_DAYS: Airflow task logs and `revwh run` logs older than this many days are
  deleted by each run's audit step and by `revwh run` (default: 30); 0 keeps them all
- REVWH_PARALLELISM: how many tasks Airflow's LocalExecutor runs at once, for `make airflow`
  (AIRFLOW__CORE__PARALLELISM; default: the machine's CPU count, at least 2)
- BUILD_LEASE_STALE_MINUTES: after how long a run's claim on the audit schema is taken to be
  abandoned and may be taken over (revwh.warehouse.lease; default: 360)
- SUPERSET_PORT: port of the local Superset (default: 8088), on SUPERSET_BIND (127.0.0.1)
- SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD: Superset's admin login (default: admin, with a
  password generated once into $REVWH_HOME/secrets/superset_admin_password)
- SUPERSET_SECRET_KEY: Superset's secret key (default: generated once into
  $REVWH_HOME/secrets/superset_secret_key)
- REVWH_SUPERSET_VENV: Superset's own virtual environment (default: bi/superset/.venv)
- REVWH_PULL_<PLATFORM>: ``api`` (the DAG's pull_<platform> task pulls the platform's API into
  the landing zone) or ``file`` (another tool drops the files; the pull task skips). Default:
  file (revwh.ingest.pull, docs/sources.md)
- REVWH_PULL_CONN_<PLATFORM>: the Airflow Connection id of a pulled platform's credentials
  (default: revwh_<platform>, e.g. revwh_google_ads)
- REVWH_PULL_ATTEMPTS, REVWH_PULL_TIMEOUT_SECONDS, REVWH_PULL_BACKOFF_SECONDS,
  REVWH_PULL_MAX_WAIT_SECONDS, REVWH_PULL_POLL_SECONDS: the pull's one retry policy: tries per
  call (6), each call's timeout (60 s), the first back-off (2 s, doubling), the longest wait the
  policy accepts, Retry-After included (900 s), and how often an async report is polled (5 s)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DAGS_DIR = PROJECT_ROOT / "dags"
PLUGINS_DIR = PROJECT_ROOT / "plugins"
SUPERSET_DIR = PROJECT_ROOT / "bi" / "superset"

# Schemas of the warehouse, in the order data flows through them.
OPS_SCHEMA = "ops"
AUDIT_SCHEMA = "audit"
PUBLISHED_SCHEMA = "marts"

# One DAG run at a time builds, audits and publishes (revwh.warehouse.lease): a run waiting for the
# audit
# schema checks every few seconds.
BUILD_LEASE_POKE_SECONDS = 3

WAREHOUSE_DATABASE = "warehouse"
AIRFLOW_DATABASE = "airflow"

# The gate's volume check: a day's rows must lie within a band learned from the mart's previous
# VOLUME_HISTORY_DAYS days (at least VOLUME_MIN_HISTORY_DAYS of them with rows, else the check is
# skipped with a note): from VOLUME_LOW x the fewest to VOLUME_HIGH x the most rows of a day.
VOLUME_HISTORY_DAYS = 28
VOLUME_MIN_HISTORY_DAYS = 14
VOLUME_LOW = 0.5
VOLUME_HIGH = 1.5

# Nothing calls home: dbt, Great Expectations, Airflow and Cosmos telemetry are off (Cosmos
# reads [cosmos] enable_telemetry, DO_NOT_TRACK and SCARF_NO_ANALYTICS: cosmos.telemetry).
TELEMETRY_OFF = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
    "SCARF_ANALYTICS": "false",
    "SCARF_NO_ANALYTICS": "true",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}


@dataclass(frozen=True)
class Settings:
    warehouse_url: str | None
    landing_url: str
    home: Path
    embedded_pg_port: int
    evidence_dir: Path
    bi_role: str = "revwh_bi"
    bi_password: str | None = None
    pii_salt: str | None = None
    alert_webhook_url: str | None = None
    alert_timeout_seconds: float = 10.0
    pg_dir: Path | None = None
    evidence_keep_days: int = 30
    evidence_keep_runs: int = 10
    log_keep_days: int = 30
    warehouse_conn_id: str | None = None

    @property
    def embedded_pg_dir(self) -> Path:
        return self.pg_dir or self.home / "pg"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def secrets_dir(self) -> Path:
        """Generated local secrets (the BI role's password); never inside the repository's
        tracked files (the default home, .local/, is git-ignored)."""
        return self.home / "secrets"


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
        bi_role=os.environ.get("REVWH_BI_ROLE") or "revwh_bi",
        bi_password=os.environ.get("REVWH_BI_PASSWORD") or None,
        pii_salt=os.environ.get("REVWH_PII_SALT") or None,
        alert_webhook_url=os.environ.get("REVWH_ALERT_WEBHOOK_URL") or None,
        alert_timeout_seconds=float(os.environ.get("REVWH_ALERT_TIMEOUT_SECONDS") or 10),
        evidence_dir=Path(os.environ.get("REVWH_EVIDENCE_DIR") or home / "evidence").resolve(),
        pg_dir=Path(os.environ["EMBEDDED_PG_DIR"]).resolve() if os.environ.get("EMBEDDED_PG_DIR")
        else None,
        evidence_keep_days=_int_setting("REVWH_EVIDENCE_KEEP_DAYS", 30),
        evidence_keep_runs=_int_setting("REVWH_EVIDENCE_KEEP_RUNS", 10),
        log_keep_days=_int_setting("REVWH_LOG_KEEP_DAYS", 30),
        warehouse_conn_id=os.environ.get("REVWH_WAREHOUSE_CONN_ID") or None,
    )


def _int_setting(name: str, default: int) -> int:
    text = os.environ.get(name) or ""
    try:
        value = int(text) if text.strip() else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, got {value}")
    return value


START_DATE_SETTING = "REVWH_START_DATE"
DEFAULT_START_DATE = date(2026, 1, 1)


def start_date() -> date:
    """The DAG's first day (REVWH_START_DATE): runs for earlier days fail, naming it."""
    text = (os.environ.get(START_DATE_SETTING) or "").strip()
    if not text:
        return DEFAULT_START_DATE
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{START_DATE_SETTING} must be a day as YYYY-MM-DD, got {text!r}"
                         ) from None


def before_start_message(day: date) -> str:
    """Why a run for a day before the DAG's first day is refused, and what to do instead."""
    first = start_date()
    return (f"{day} is before the DAG's first day, {first} ({START_DATE_SETTING}): a run for it "
            f"would load nothing. Load days before {first} once with `revwh history --start "
            f"{day} --end <last day>`, or set {START_DATE_SETTING} to {day} or earlier to run "
            "them nightly.")


def parallelism() -> int:
    """How many tasks the LocalExecutor runs at once (REVWH_PARALLELISM; default: the CPUs)."""
    return _int_setting("REVWH_PARALLELISM", 0) or max(2, os.cpu_count() or 2)


# The platforms the DAG can pull from their APIs (revwh.ingest.pull); `csv_crm` is file drop only.
PULL_PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads", "ga4", "hubspot", "salesforce",
                  "ecb")
PULL_MODES = ("api", "file")


def pull_mode(platform: str) -> str:
    """api: the DAG pulls the platform's API into the landing zone; file: another tool lands the
    files and the pull skips (the default, as before pulls existed)."""
    if platform not in PULL_PLATFORMS:
        return "file"
    name = f"REVWH_PULL_{platform.upper()}"
    mode = (os.environ.get(name) or "file").strip().lower()
    if mode not in PULL_MODES:
        raise ValueError(f"{name}={mode!r}: expected api or file")
    return mode


def pull_conn_id(platform: str) -> str:
    """The Airflow Connection holding the platform's credentials."""
    return os.environ.get(f"REVWH_PULL_CONN_{platform.upper()}") or f"revwh_{platform}"


@dataclass(frozen=True)
class PullPolicy:
    """The one retry policy of every API call a pull makes (revwh.ingest.pull.retry)."""

    attempts: int = 6
    timeout_seconds: float = 60.0
    backoff_seconds: float = 2.0
    max_wait_seconds: float = 900.0
    poll_seconds: float = 5.0


def pull_policy() -> PullPolicy:
    env = os.environ.get
    return PullPolicy(
        attempts=int(env("REVWH_PULL_ATTEMPTS") or 6),
        timeout_seconds=float(env("REVWH_PULL_TIMEOUT_SECONDS") or 60),
        backoff_seconds=float(env("REVWH_PULL_BACKOFF_SECONDS") or 2),
        max_wait_seconds=float(env("REVWH_PULL_MAX_WAIT_SECONDS") or 900),
        poll_seconds=float(env("REVWH_PULL_POLL_SECONDS") or 5),
    )


def build_lease_stale_after() -> timedelta:
    """A claim older than this is taken to be abandoned (its run died without releasing it)."""
    return timedelta(minutes=int(os.environ.get("BUILD_LEASE_STALE_MINUTES") or 360))


@dataclass(frozen=True)
class SupersetSettings:
    """The local Superset (revwh.ops.superset): its environment, state and login."""

    venv: Path
    home: Path
    bind: str
    port: int
    admin_user: str
    admin_password: str | None
    secret_key: str | None

    @property
    def url(self) -> str:
        return f"http://{'localhost' if self.bind == '127.0.0.1' else self.bind}:{self.port}"


def superset_settings() -> SupersetSettings:
    return SupersetSettings(
        venv=Path(os.environ.get("REVWH_SUPERSET_VENV") or SUPERSET_DIR / ".venv"),
        home=settings().home / "superset",
        bind=os.environ.get("SUPERSET_BIND") or "127.0.0.1",
        port=int(os.environ.get("SUPERSET_PORT") or 8088),
        admin_user=os.environ.get("SUPERSET_ADMIN_USER") or "admin",
        admin_password=os.environ.get("SUPERSET_ADMIN_PASSWORD") or None,
        secret_key=os.environ.get("SUPERSET_SECRET_KEY") or None,
    )


def apply_telemetry_off() -> None:
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)
