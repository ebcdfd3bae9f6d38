"""Superset on the published marts: its environment, its set-up and its web server.

``revwh bi`` (``make bi``) installs Superset into its own virtual environment
from ``bi/superset/uv.lock`` (once; its Flask stack is not Airflow's), makes sure the read-only
BI role exists (revwh.warehouse.access), then runs ``bi/superset/revwh_superset.py`` there:
Superset's
metadata database (SQLite in $REVWH_HOME/superset), the admin user, the dashboards bundle
(``bi/superset/assets``, imported with overwrite), and gunicorn on localhost:8088. The database
connection is the BI role's; its password reaches Superset through the environment only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from revwh.core import secrets
from revwh.core.config import (
    PROJECT_ROOT,
    PUBLISHED_SCHEMA,
    SUPERSET_DIR,
    SupersetSettings,
    settings,
    superset_settings,
)
from revwh.core.errors import WarehouseError
from revwh.warehouse import access

SETUP_SCRIPT = SUPERSET_DIR / "revwh_superset.py"
ASSETS_DIR = SUPERSET_DIR / "assets"
LOCK_FILE = SUPERSET_DIR / "uv.lock"
STAMP = ".revwh-lock-sha256"  # in the venv: the lock file it was installed from
# The marts the dashboards read (a warning names those not published yet).
DASHBOARD_MARTS = (
    "weekly_scorecard", "daily_channel_performance", "funnel_stage_history",
    "funnel_conversion_weekly", "channel_efficiency", "attribution_opportunities",
    "pipeline_sourced_influenced", "sales_follow_up", "sales_feedback_reasons",
    "self_reported_vs_tracked",
)


def _uv() -> str:
    found = shutil.which("uv") or str(PROJECT_ROOT / ".local" / "uv" / "bin" / "uv")
    if not Path(found).exists():
        raise WarehouseError("uv is not installed: run `make setup` first (it installs uv)")
    return found


def _lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def superset_python(config: SupersetSettings | None = None) -> Path:
    return (config or superset_settings()).venv / "bin" / "python"


def ensure_venv(config: SupersetSettings | None = None) -> Path:
    """Superset's virtual environment, installed from its lock file if missing or stale (the
    installed lock's digest is kept in the venv, so an installed venv needs no network)."""
    config = config or superset_settings()
    stamp = config.venv / STAMP
    python = superset_python(config)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == _lock_digest():
        return python
    print(f"installing Superset into {config.venv} from {LOCK_FILE.relative_to(PROJECT_ROOT)}"
          " ...", flush=True)
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(config.venv),
           "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run([_uv(), "sync", "--frozen", "--no-install-project", "--python",
                             "3.11", "--project", str(SUPERSET_DIR)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise WarehouseError(f"installing Superset failed:\n{result.stderr[-3000:]}")
    stamp.write_text(_lock_digest() + "\n")
    return python


def admin_password(config: SupersetSettings | None = None) -> str:
    config = config or superset_settings()
    return config.admin_password or secrets.read_or_create("superset_admin_password")


def missing_marts(url: str) -> list[str]:
    from revwh.warehouse.connection import connect

    with connect(url) as conn:
        present = {name for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s",
            (PUBLISHED_SCHEMA,))}
    return [mart for mart in DASHBOARD_MARTS if mart not in present]


def superset_env(url: str, config: SupersetSettings | None = None) -> dict[str, str]:
    """The environment revwh_superset.py and Superset run with (it holds secrets: never log
    it)."""
    from urllib.parse import urlsplit, urlunsplit

    config = config or superset_settings()
    config.home.mkdir(parents=True, exist_ok=True)
    bi = urlsplit(access.bi_url(url))
    host = bi.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    netloc = f"{bi.username}@{host}" + (f":{bi.port}" if bi.port else "")
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update({
        "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
        "FLASK_APP": "superset.app:create_app()",
        "SUPERSET_HOME": str(config.home),
        "SUPERSET_SECRET_KEY": (config.secret_key
                                or secrets.read_or_create("superset_secret_key")),
        "SUPERSET_ADMIN_USER": config.admin_user,
        "SUPERSET_ADMIN_PASSWORD": admin_password(config),
        "SUPERSET_BIND": config.bind,
        "SUPERSET_PORT": str(config.port),
        "REVWH_BI_URL": urlunsplit(bi._replace(netloc=netloc)),
        "REVWH_BI_PASSWORD": access.bi_password(),
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
    })
    return env


def setup(url: str, assets: Path = ASSETS_DIR) -> dict[str, str]:
    """Install Superset if needed, the BI role, Superset's metadata, admin and dashboards."""
    config = superset_settings()
    python = ensure_venv(config)
    access.ensure_bi_role(url)
    missing = missing_marts(url)
    if missing:
        print(f"warning: not published yet, their charts will be empty: {', '.join(missing)} "
              "(run `make demo` first)", file=sys.stderr)
    env = superset_env(url, config)
    print("setting up Superset (metadata database, admin user, dashboards) ...", flush=True)
    result = subprocess.run([str(python), str(SETUP_SCRIPT), "setup", "--assets", str(assets)],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise WarehouseError(f"Superset set-up failed:\n{result.stderr[-4000:]}")
    return env


def import_assets(url: str, assets: Path = ASSETS_DIR) -> None:
    """Re-import a bundle into the set-up Superset (overwriting its charts and datasets)."""
    config = superset_settings()
    result = subprocess.run(
        [str(superset_python(config)), str(SETUP_SCRIPT), "import", "--assets", str(assets)],
        env=superset_env(url, config), capture_output=True, text=True)
    if result.returncode != 0:
        raise WarehouseError(f"importing {assets} failed:\n{result.stderr[-4000:]}")


def login_banner(config: SupersetSettings | None = None) -> str:
    config = config or superset_settings()
    password_source = ("SUPERSET_ADMIN_PASSWORD" if config.admin_password
                       else f"{settings().secrets_dir / 'superset_admin_password'}")
    return (f"Superset: {config.url}/superset/dashboard/weekly-scorecard/\n"
            f"  login: {config.admin_user} / {admin_password(config)}  (from {password_source})\n"
            f"  dashboards: weekly-scorecard, attribution, sales-follow-up, self-reported-source\n"
            f"  stop: Ctrl-C here, or `make bi-stop` from another shell")


def serve(env: dict[str, str]) -> int:
    """gunicorn serving Superset, in a session of its own, until SIGINT or SIGTERM here (or
    it exits); then the whole stack stops within about 25 seconds: SIGINT to gunicorn's group
    (its quick shutdown), then SIGTERM and SIGKILL to whatever is left (revwh.ops.processes).
    gunicorn's exit code, or 0 after a requested stop."""
    import contextlib

    from revwh.ops import processes

    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if not stopping:
            stopping.append(signum)
            print("\nstopping Superset ...", flush=True)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes.become_subreaper()
    python = str(superset_python())
    server = subprocess.Popen([python, str(SETUP_SCRIPT), "serve"], env=env,
                              start_new_session=True, stdin=subprocess.DEVNULL,
                              preexec_fn=_default_interrupt_handling)
    while server.poll() is None and not stopping:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=1)
    stopped = processes.stop_stack(server)
    print(stopped.describe("Superset"), flush=True)
    return 0 if stopping else (stopped.exit_code or 0)


def _default_interrupt_handling() -> None:
    """SIGINT back to its default in gunicorn (inherited ignored in a background job)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pid_file() -> Path:
    return superset_settings().home / "gunicorn.pid"


def stop() -> bool:
    """Stop a Superset started by ``make bi`` (gunicorn's master, from its pid file)."""
    path = pid_file()
    if not path.exists():
        return False
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (ValueError, ProcessLookupError):
        path.unlink(missing_ok=True)
        return False
    return True
