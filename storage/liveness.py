"""Is a run's worker still alive? Finding runs left ``running`` by a dead worker and failing them.

Storage layer. A worker on this host is judged by its pid: the process must exist, not be a zombie, and still
be a ``storage.worker`` (so a recycled pid is not mistaken for it). A worker on another host (a shared server
database) is judged by its heartbeat, which a thread in the worker refreshes every few seconds.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import select

from storage.db import session
from storage.models import Run, RunStatus, utcnow

DEFAULT_STALE_AFTER_S = 60.0
WORKER_MODULE = "storage.worker"


def pid_alive(pid: int) -> bool:
    """True while ``pid`` is a live (non-zombie) process that runs the worker module."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    proc = Path(f"/proc/{pid}")
    if not proc.exists():  # no procfs (macOS): existence is all we can tell
        return True
    try:
        stat = (proc / "stat").read_text()
        state = stat[stat.rindex(")") + 2:].split()[0]
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return False  # vanished while we looked
    return state not in ("Z", "X") and WORKER_MODULE in cmdline


@dataclass(frozen=True)
class StaleRun:
    run_id: int
    reason: str


def _fmt(ts: datetime | None) -> str:
    return "never" if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def find_stale(engine: Engine, *, stale_after_s: float = DEFAULT_STALE_AFTER_S,
               skip: set[int] | frozenset[int] = frozenset()) -> list[StaleRun]:
    """Runs marked ``running`` whose worker is gone. ``skip``: runs whose process the caller tracks itself."""
    host = socket.gethostname()
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    with session(engine) as s:
        rows = s.exec(select(Run).where(Run.status == RunStatus.RUNNING.value)).all()
    stale = []
    for run in rows:
        if run.id in skip:
            continue
        beat = run.heartbeat_at or run.started_at
        if run.worker_host == host and run.worker_pid is not None:
            if not pid_alive(run.worker_pid):
                stale.append(StaleRun(run.id, f"worker process {run.worker_pid} on {host} is no longer running "
                                              f"(last heartbeat {_fmt(run.heartbeat_at)}); the run was interrupted"))
        elif beat is None or beat < cutoff:
            where = f"on {run.worker_host}" if run.worker_host else "(never started)"
            stale.append(StaleRun(run.id, f"worker {where} sent no heartbeat for more than {stale_after_s:g} s "
                                          f"(last {_fmt(run.heartbeat_at)}); the run was interrupted"))
    return stale


def mark_failed(engine: Engine, run_id: int, reason: str) -> bool:
    """Fail a run that is still ``running``; returns False if it ended meanwhile."""
    with session(engine) as s:
        n = s.exec(  # type: ignore[call-overload]
            update(Run).where(Run.id == run_id, Run.status == RunStatus.RUNNING.value)
            .values(status=RunStatus.FAILED.value, error=reason, finished_at=utcnow())
        ).rowcount
        s.commit()
    return n == 1


def reap_stale(engine: Engine, *, stale_after_s: float = DEFAULT_STALE_AFTER_S,
               skip: set[int] | frozenset[int] = frozenset()) -> list[StaleRun]:
    """Mark every stale run failed with its reason; returns those marked."""
    return [s for s in find_stale(engine, stale_after_s=stale_after_s, skip=skip)
            if mark_failed(engine, s.run_id, s.reason)]
