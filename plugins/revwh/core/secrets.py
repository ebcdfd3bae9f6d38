"""Secrets generated on first use and kept outside the repository, for settings left unset.

A secret is a file ``$REVWH_HOME/secrets/<name>`` (folder 0700, file 0600; the default home,
``.local/``, and any ``secrets/`` folder are git-ignored). Used for the BI role's password
without ``REVWH_BI_PASSWORD`` and the PII salt without ``REVWH_PII_SALT``.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from revwh.core.config import settings
from revwh.core.errors import WarehouseError

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def path_of(name: str) -> Path:
    if not NAME.match(name):
        raise ValueError(f"not a secret's name: {name!r}")
    return settings().secrets_dir / name


def read_or_create(name: str) -> str:
    """The secret's value, generated (random, URL-safe) the first time it is asked for."""
    path = path_of(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        try:  # O_EXCL: of two processes racing to create it, the first one's value is kept
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(24) + "\n")
            log.info("generated the secret %s into %s", name, path)
    value = path.read_text().strip()
    if not value:
        raise WarehouseError(f"{path} is empty: delete it (a new one is generated) or set it "
                             "in the environment")
    return value


def pii_salt() -> str:
    """The salt of the person keys (dbt var pii_salt): REVWH_PII_SALT, or one generated once into
    $REVWH_HOME/secrets/pii_salt. Never in the repository: with a known salt, a hashed email is
    one guess away from the email."""
    return settings().pii_salt or read_or_create("pii_salt")
