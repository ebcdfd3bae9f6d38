"""Superset's configuration for the revenue warehouse (SUPERSET_CONFIG_PATH points here).

Everything that differs between machines comes from the environment, which
``revwh bi`` (or the compose service) sets:

- SUPERSET_SECRET_KEY: signs sessions and encrypts the stored database password (required)
- SUPERSET_HOME: Superset's own state: its metadata database (SQLite) and uploads
- SUPERSET_METADATA_URL: another metadata database instead of SQLite in SUPERSET_HOME

Nothing calls home: the front end's usage pixel (an image it always renders) and every
third-party host (maps, fonts, documentation images) are left out of the
Content-Security-Policy, so the browser never loads them; thumbnails, reports, alerts and
Celery are off.
"""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or ""
if len(SECRET_KEY) < 32:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY is unset or shorter than 32 characters: start Superset through "
        "`revwh bi` (it generates one into $REVWH_HOME/secrets) or set it")

DATA_DIR = str(Path(os.environ.get("SUPERSET_HOME") or Path.home() / ".superset").resolve())
Path(DATA_DIR).mkdir(parents=True, exist_ok=True)
SQLALCHEMY_DATABASE_URI = (os.environ.get("SUPERSET_METADATA_URL")
                           or f"sqlite:///{DATA_DIR}/superset.db?check_same_thread=false")
SQLALCHEMY_EXAMPLES_URI = None
if SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
    # two gunicorn workers share the file: a write waits for the other's lock (SQLite's
    # default is 5 s, then "database is locked") rather than failing the request
    SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 60}}
UPLOAD_FOLDER = f"{DATA_DIR}/uploads/"

# The dashboards read the warehouse's published marts through the read-only BI role.
PREVENT_UNSAFE_DB_CONNECTIONS = True
ROW_LIMIT = 10000
SQL_MAX_ROW = 10000
SUPERSET_WEBSERVER_TIMEOUT = 120

FEATURE_FLAGS = {
    "THUMBNAILS": False,
    "ALERT_REPORTS": False,
    "PLAYWRIGHT_REPORTS_AND_THUMBNAILS": False,
    "GLOBAL_ASYNC_QUERIES": False,
    "EMBEDDED_SUPERSET": False,
    # render every chart of a dashboard at once (screenshots, the browser test), not only
    # those scrolled into view
    "DASHBOARD_VIRTUALIZATION": False,
}

# No third-party content: fonts, map tiles, documentation images and the front end's usage
# pixel are not allowed by the Content-Security-Policy (the default allows all of them).
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
MAPBOX_API_KEY = ""
_CSP = {
    "base-uri": ["'self'"],
    "default-src": ["'self'"],
    "img-src": ["'self'", "blob:", "data:"],
    "worker-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "object-src": "'none'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    # 'unsafe-eval': the headline tiles are Handlebars templates, compiled in the browser
    "script-src": ["'self'", "'strict-dynamic'", "'unsafe-eval'"],
}
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": _CSP,
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
CONTENT_SECURITY_POLICY_WARNING = False

# The headline tiles and the data-quality listings (Handlebars) carry their figures in data-*
# attributes and are styled inline.
HTML_SANITIZATION = True
_STYLED = ["className", "style", "data*"]
HTML_SANITIZATION_SCHEMA_EXTENSIONS = {"attributes": {
    "div": _STYLED, "table": _STYLED, "tr": _STYLED, "th": _STYLED,
    "td": [*_STYLED, "colSpan"]}}

# Local logins; the login rate limit keeps its in-memory default.
RATELIMIT_STORAGE_URI = "memory://"
LOG_LEVEL = os.environ.get("SUPERSET_LOG_LEVEL", "WARNING")
