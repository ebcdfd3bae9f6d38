"""A stack of processes that stops whole, within a bound (``make airflow``, ``make bi``).

The command starts its server (``airflow standalone``, Superset's gunicorn) in a session of
its own, so a terminal's Ctrl-C reaches only the command, which then stops the server in
order:

1. SIGINT to the server's process group: Airflow's components and gunicorn take it as a clean
   (quick) shutdown;
2. after STOP_GRACE_SECONDS, SIGTERM to every process of the stack still alive;
3. after TERM_GRACE_SECONDS more, SIGKILL.

"Every process of the stack" is found by descent, not only by process group: the command
makes itself a child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``), so a process whose parent
exits (a LocalExecutor worker whose scheduler stopped, a task's supervisor) becomes the
command's child instead of init's, and is still found and stopped. The command returns only
when none is left: at most about STOP_GRACE_SECONDS + TERM_GRACE_SECONDS + a few seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

STOP_GRACE_SECONDS = 10.0
TERM_GRACE_SECONDS = 5.0
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants become this process's children (Linux); whether it worked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _table() -> dict[int, tuple[str, int, int, int]]:
    """pid: (state, ppid, process group, session) of every process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                text = handle.read().decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        found[int(entry)] = (fields[0], int(fields[1]), int(fields[2]), int(fields[3]))
    return found


def descendants(pid: int, table: dict | None = None) -> dict[int, str]:
    """Every process below pid (pid: state; zombies included, state Z)."""
    table = table if table is not None else _table()
    children: dict[int, list[int]] = {}
    for child, (_, parent, _, _) in table.items():
        children.setdefault(parent, []).append(child)
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        current = todo.pop()
        if current in found or current not in table:
            continue
        found[current] = table[current][0]
        todo += children.get(current, [])
    return found


def in_session(session: int, table: dict | None = None) -> dict[int, str]:
    """Every process of a session (pid: state)."""
    table = table if table is not None else _table()
    return {pid: row[0] for pid, row in table.items() if row[3] == session}


@dataclass
class Stopped:
    exit_code: int | None
    seconds: float
    escalated: str | None  # None, "SIGTERM" or "SIGKILL": what the stack needed beyond SIGINT
    left_after_sigint: list[str] = field(default_factory=list)  # their command lines

    def describe(self, what: str) -> str:
        text = f"{what} stopped in {self.seconds:.0f}s (exit {self.exit_code})"
        if self.escalated:
            text += (f"; {len(self.left_after_sigint)} processes still running "
                     f"{STOP_GRACE_SECONDS:.0f}s after SIGINT got SIGTERM"
                     + (", then SIGKILL" if self.escalated == "SIGKILL" else "") + ": "
                     + "; ".join(self.left_after_sigint[:8]))
        return text


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return str(pid)


def _reap_orphans(keep: int) -> None:
    """Collect the exit status of orphaned children that ended (not the server's own)."""
    for pid, state in descendants(os.getpid()).items():
        if state == "Z" and pid != keep:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)


def _alive(server: subprocess.Popen) -> list[int]:
    table = _table()
    pids = {pid for pid, state in descendants(os.getpid(), table).items() if state != "Z"}
    pids |= {pid for pid, state in in_session(server.pid, table).items() if state != "Z"}
    return sorted(pids)


def _send(server: subprocess.Popen, pids: list[int], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, sig)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait(server: subprocess.Popen, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        server.poll()
        _reap_orphans(server.pid)
        alive = _alive(server)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def stop_stack(server: subprocess.Popen, grace: float = STOP_GRACE_SECONDS,
               term_grace: float = TERM_GRACE_SECONDS) -> Stopped:
    """Stop the server and every process below it or in its session: SIGINT to its group,
    then SIGTERM, then SIGKILL to whatever is left; returns when none is left."""
    began = time.monotonic()
    escalated = None
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGINT)
    alive = _wait(server, grace)
    left = [f"{pid} {command_line(pid)}" for pid in alive]
    if alive:
        escalated = "SIGTERM"
        _send(server, alive, signal.SIGTERM)
        alive = _wait(server, term_grace)
    if alive:
        escalated = "SIGKILL"
        _send(server, alive, signal.SIGKILL)
        _wait(server, 10)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=5)
    return Stopped(server.returncode, time.monotonic() - began, escalated, left)
