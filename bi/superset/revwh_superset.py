"""Set up and serve Superset for the revenue warehouse; runs in Superset's own environment.

    python revwh_superset.py setup     metadata database, roles, admin user, the asset bundle
    python revwh_superset.py import [--assets DIR]   (re)import the bundle, overwriting all
    python revwh_superset.py serve     gunicorn on SUPERSET_BIND:SUPERSET_PORT (replaces itself)

``revwh bi`` runs it with the environment below; the compose service sets it
itself. Settings (environment):

- SUPERSET_CONFIG_PATH, SUPERSET_SECRET_KEY, SUPERSET_HOME: see superset_config.py
- SUPERSET_ADMIN_USER (default admin), SUPERSET_ADMIN_PASSWORD (required): the admin login;
  the password is set on every setup, so changing it here changes it in Superset
- REVWH_BI_URL: the warehouse as the read-only BI role, postgresql://revwh_bi@host:port/db
- REVWH_BI_PASSWORD: the BI role's password (else the password inside REVWH_BI_URL)
- SUPERSET_BIND (default 127.0.0.1), SUPERSET_PORT (default 8088), SUPERSET_WORKERS (default 2)

The bundle (assets/) is imported with Superset's ImportAssetsCommand, which overwrites the
database, datasets, charts and dashboards it holds (``superset import-dashboards`` would keep
existing charts and datasets as they were). Its database file carries no password and a
placeholder address: both come from REVWH_BI_URL and REVWH_BI_PASSWORD at import.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
MASKED = "X" * 10  # Superset's placeholder in a URI for the password it keeps apart


class SetupError(RuntimeError):
    pass


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name) or default
    if not value:
        raise SetupError(f"{name} is not set")
    return value


def _superset_bin() -> str:
    return str(Path(sys.executable).parent / "superset")


def warehouse_uri() -> tuple[str, str]:
    """The BI role's SQLAlchemy URI with the password masked, and the password."""
    url = _env("REVWH_BI_URL")
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise SetupError(f"REVWH_BI_URL must be a postgresql:// URL, got scheme {parts.scheme!r}")
    if not parts.username or not parts.hostname:
        raise SetupError("REVWH_BI_URL must name the BI role and the host: "
                         "postgresql://revwh_bi@host:port/warehouse")
    password = os.environ.get("REVWH_BI_PASSWORD") or unquote(parts.password or "")
    if not password:
        raise SetupError("no password for the BI role: set REVWH_BI_PASSWORD")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    database = parts.path.lstrip("/") or "warehouse"
    uri = f"postgresql+psycopg2://{parts.username}:{MASKED}@{host}{port}/{database}"
    return uri, password


def bundle_contents(assets: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The bundle's files by relative path, the database files pointed at the warehouse, and
    the passwords to import them with."""
    if not (assets / "metadata.yaml").exists():
        raise SetupError(f"{assets} is not an asset bundle: it has no metadata.yaml")
    uri, password = warehouse_uri()
    contents: dict[str, str] = {}
    passwords: dict[str, str] = {}
    for path in sorted(assets.rglob("*.yaml")):
        relative = path.relative_to(assets).as_posix()
        text = path.read_text()
        if relative.startswith("databases/"):
            document: dict[str, Any] = yaml.safe_load(text)
            document["sqlalchemy_uri"] = uri
            text = yaml.safe_dump(document, sort_keys=False)
            passwords[relative] = password
        contents[relative] = text
    if not passwords:
        raise SetupError(f"{assets} holds no database (databases/*.yaml)")
    return contents, passwords


def _run(args: list[str]) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SetupError(f"{' '.join(args[1:])} failed:\n{result.stdout[-3000:]}"
                         f"\n{result.stderr[-3000:]}")


def migrate() -> None:
    """Create or upgrade Superset's metadata database; roles and permissions once per version.

    A fresh SQLite metadata database starts as a copy of the one this environment migrated and
    initialised first (kept in the venv, without users, connections or secrets): Superset's
    migrations and ``superset init`` take minutes, a copy does not."""
    from importlib.metadata import version

    superset_version = version("apache-superset")
    home = Path(_env("SUPERSET_HOME"))
    home.mkdir(parents=True, exist_ok=True)
    marker = home / f".initialised-{superset_version}"
    sqlite = not os.environ.get("SUPERSET_METADATA_URL")
    database = home / "superset.db"
    template = Path(sys.prefix) / f"revwh-superset-metadata-{superset_version}.db"
    if sqlite and not database.exists() and template.exists():
        shutil.copyfile(template, database)
        marker.write_text("copied from the initialised template\n")
    _run([_superset_bin(), "db", "upgrade"])
    if not marker.exists():
        _run([_superset_bin(), "init"])
        marker.write_text("superset init done\n")
        if sqlite and not template.exists():
            partial = template.with_suffix(".partial")
            shutil.copyfile(database, partial)
            partial.replace(template)


def _app() -> Any:
    from superset.app import create_app

    return create_app()


def ensure_admin() -> Any:
    from superset import db, security_manager

    name = os.environ.get("SUPERSET_ADMIN_USER") or "admin"
    password = _env("SUPERSET_ADMIN_PASSWORD")
    role = security_manager.find_role("Admin")
    if role is None:
        raise SetupError("Superset has no Admin role: `superset init` did not run")
    user = security_manager.find_user(username=name)
    if user is None:
        user = security_manager.add_user(name, "Revenue", "Admin", f"{name}@localhost", role,
                                         password=password)
        if not user:
            raise SetupError(f"could not create the Superset user {name!r}")
    else:
        security_manager.reset_password(user.id, password)
        if role not in user.roles:
            user.roles.append(role)
        db.session.commit()
    return user


def import_bundle(assets: Path, user: Any) -> None:
    from superset.commands.exceptions import CommandInvalidError
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    from superset.utils.core import override_user

    contents, passwords = bundle_contents(assets)
    with override_user(user):
        try:
            ImportAssetsCommand(contents, passwords=passwords).run()
        except CommandInvalidError as error:
            raise SetupError(f"the bundle in {assets} is invalid: {error.normalized_messages()}"
                             ) from error
    dashboards = [yaml.safe_load(text)["uuid"] for name, text in contents.items()
                  if name.startswith("dashboards/")]
    scope_filters_to_imported_charts(dashboards)


def scope_filters_to_imported_charts(dashboard_uuids: list[str]) -> None:
    """Point the native filters' chartsInScope at the charts' ids in this Superset.

    The importer maps each filter's excluded charts from the bundle's ids to the new ones but
    leaves chartsInScope (the charts a filter acts on) with the bundle's ids."""
    import json

    from superset import db
    from superset.models.dashboard import Dashboard

    for dashboard_uuid in dashboard_uuids:
        dashboard = db.session.query(Dashboard).filter_by(uuid=dashboard_uuid).one()
        chart_ids = sorted(chart.id for chart in dashboard.slices)
        metadata = json.loads(dashboard.json_metadata or "{}")
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [i for i in chart_ids if i not in excluded]
        global_scope = metadata.get("global_chart_configuration")
        if global_scope is not None:
            excluded = set(global_scope.get("scope", {}).get("excluded", []))
            global_scope["chartsInScope"] = [i for i in chart_ids if i not in excluded]
        dashboard.json_metadata = json.dumps(metadata)
    db.session.commit()


def cmd_setup(args: argparse.Namespace) -> None:
    migrate()
    with _app().app_context():
        user = ensure_admin()
        import_bundle(args.assets, user)
    print(f"Superset is set up: bundle {args.assets} imported")


def cmd_import(args: argparse.Namespace) -> None:
    from superset import security_manager

    with _app().app_context():
        name = os.environ.get("SUPERSET_ADMIN_USER") or "admin"
        user = security_manager.find_user(username=name)
        if user is None:
            raise SetupError(f"no Superset user {name!r}: run setup first")
        import_bundle(args.assets, user)
    print(f"imported {args.assets}")


def cmd_serve(_: argparse.Namespace) -> None:
    home = Path(_env("SUPERSET_HOME"))
    host = os.environ.get("SUPERSET_BIND") or "127.0.0.1"
    bind = f"{host}:{os.environ.get('SUPERSET_PORT') or 8088}"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = [gunicorn, "--bind", bind, "--workers", os.environ.get("SUPERSET_WORKERS") or "2",
            "--worker-class", "gthread", "--threads", "4", "--timeout", "120",
            "--graceful-timeout", "10", "--pid", str(home / "gunicorn.pid"),
            "--access-logfile", "-" if os.environ.get("SUPERSET_ACCESS_LOG") else str(
                home / "access.log"),
            "--error-logfile", "-", "--log-level", "warning", "superset.app:create_app()"]
    os.execv(gunicorn, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("setup", cmd_setup), ("import", cmd_import)):
        command = sub.add_parser(name)
        command.add_argument("--assets", type=Path, default=ASSETS)
        command.set_defaults(func=func)
    sub.add_parser("serve").set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except SetupError as error:
        print(f"superset {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
