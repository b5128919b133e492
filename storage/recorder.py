"""The database side of a running worker: claim the run, write metric slices, heartbeat, finish.

Storage layer, used by ``storage.worker`` (and by ``bench/storage_samples.py`` in-process). Each flush is one
short write transaction holding whole slices (never part of one), the run's progress and heartbeat, and a read
of the cancel flag. A crash therefore loses at most the slices buffered since the last flush, and the highest
committed step is always a complete snapshot. Status changes only apply to a run that is still ``running``, so
a run another process already ended (reaped, cancelled, deleted) is never revived by a late worker.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from storage.models import ACTIVE_STATUSES, Artefact, MetricSample, Run, RunStatus, utcnow
from storage.runs import get_run

HEARTBEAT_INTERVAL_S = 5.0

Row = tuple[str, str, float]  # (entity, metric, value), as ``Snapshot.rows()`` gives them


class RunRecorder:
    """Buffers slices and flushes them at most every ``flush_interval_s`` (0: every slice)."""

    def __init__(self, engine: Engine, run_id: int, *, flush_interval_s: float = 0.25):
        self.engine = engine
        self.run_id = run_id
        self.flush_interval_s = flush_interval_s
        self.cancel_requested = False
        self.still_running = True  # False once someone else ended the run: stop working
        self.rows_written = 0
        self._buffer: list[tuple] = []
        self._last_step = -1
        self._progress = 0.0
        self._last_flush = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------------------------
    def claim(self) -> Run | None:
        """Mark the run as run by this process. None when it must not run (cancelled meanwhile, finished)."""
        run = get_run(self.engine, self.run_id)  # raises RunNotFound for an unknown id
        if run.status not in ACTIVE_STATUSES:
            return None
        now = utcnow()
        active = (Run.id == self.run_id) & Run.status.in_(ACTIVE_STATUSES)  # type: ignore[attr-defined]
        # A queued run, or a running one the manager claimed for this process (pid not recorded yet, or ours);
        # never a run another live worker is writing.
        pid = Run.worker_pid
        ours = (Run.status == RunStatus.QUEUED.value) | pid.is_(None) | (pid == os.getpid())  # type: ignore[union-attr]
        with self.engine.begin() as conn:
            if run.cancel_requested:  # cancelled between the manager's start and this process's start
                conn.execute(update(Run).where(active, ours).values(
                    status=RunStatus.CANCELLED.value, finished_at=now, error="cancelled before it started"))
                return None
            claimed = conn.execute(update(Run).where(active, ours).values(
                status=RunStatus.RUNNING.value, worker_pid=os.getpid(), worker_host=socket.gethostname(),
                heartbeat_at=now, started_at=run.started_at or now)).rowcount
        return get_run(self.engine, self.run_id) if claimed else None

    def heartbeat(self) -> bool:
        """Touch ``heartbeat_at``; returns whether the run is still ``running``."""
        with self.engine.begin() as conn:
            n = conn.execute(update(Run).where(Run.id == self.run_id, Run.status == RunStatus.RUNNING.value)
                             .values(heartbeat_at=utcnow())).rowcount
        return n == 1

    # -- samples ---------------------------------------------------------------------------------------------
    def record(
        self, step: int, sim_time_s: float, rows: Iterable[Row], progress: float, *, force: bool = False
    ) -> bool:
        """Add one slice; flush when due. Returns True when the worker should stop (cancel or run ended)."""
        # One value per (entity, metric) and step (the table's key); NaN means "no value yet" (e.g. the
        # fidelity of a link with no pairs): no row.
        values = {(e, m): float(v) for e, m, v in rows if v is not None and not math.isnan(v)}
        self._buffer.extend((self.run_id, step, e, m, sim_time_s, v) for (e, m), v in values.items())
        self._last_step, self._progress = step, min(max(progress, 0.0), 1.0)
        if force or time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()
        return self.cancel_requested or not self.still_running

    def flush(self) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            if self._buffer:
                _insert_samples(conn, self._buffer)
            conn.execute(update(Run).where(Run.id == self.run_id)
                         .values(progress=self._progress, last_step=self._last_step, heartbeat_at=now))
            state = conn.execute(select(Run.status, Run.cancel_requested).where(Run.id == self.run_id)).first()
        self.rows_written += len(self._buffer)
        self._buffer.clear()
        self._last_flush = time.monotonic()
        self.still_running = state is not None and state[0] == RunStatus.RUNNING.value
        self.cancel_requested = bool(state and state[1])

    # -- endings ---------------------------------------------------------------------------------------------
    def finish(self, status: RunStatus, *, summary: dict | None = None, error: str | None = None,
               artefacts: Iterable[tuple[str, str, bytes]] = ()) -> bool:
        """Flush, then end the run with ``status`` and its artefacts in one transaction (if still running)."""
        if self._buffer or status is RunStatus.DONE:
            if status is RunStatus.DONE:
                self._progress = 1.0
            self.flush()
        values: dict[str, Any] = {"status": status.value, "finished_at": utcnow(), "heartbeat_at": utcnow()}
        if summary is not None:
            values["summary"] = summary
        if error is not None:
            values["error"] = error
        with self.engine.begin() as conn:
            ended = conn.execute(update(Run).where(Run.id == self.run_id, Run.status == RunStatus.RUNNING.value)
                                 .values(**values)).rowcount
            if ended:
                for name, media_type, content in artefacts:
                    conn.execute(insert(Artefact).values(run_id=self.run_id, name=name, media_type=media_type,
                                                         content=content, created_at=utcnow()))
        return ended == 1

    def fail(self, error: str, *, detail: str | None = None) -> bool:
        """End the run ``failed``; ``detail`` (a traceback) is kept as the ``traceback.txt`` artefact."""
        try:
            self.flush()  # keep the slices computed before the failure
        except Exception:  # noqa: BLE001 - the original error matters more than a failed flush
            self._buffer.clear()
        arts = [("traceback.txt", "text/plain", detail.encode("utf-8"))] if detail else []
        return self.finish(RunStatus.FAILED, error=error, artefacts=arts)


_SAMPLE_COLUMNS = ("run_id", "step", "entity", "metric", "sim_time_s", "value")
_QMARK_INSERT = f"INSERT INTO metric_sample ({', '.join(_SAMPLE_COLUMNS)}) VALUES ({', '.join('?' * 6)})"


def _insert_samples(conn: Connection, rows: list[tuple]) -> None:
    if conn.dialect.paramstyle == "qmark":
        # Straight to the driver's executemany with tuples: building and processing a parameter dict per row
        # made a sample write a third to a half slower here.
        conn.exec_driver_sql(_QMARK_INSERT, rows)
    else:
        conn.execute(insert(MetricSample), [dict(zip(_SAMPLE_COLUMNS, r, strict=True)) for r in rows])


class Heartbeat:
    """Context manager: a daemon thread touching the heartbeat while a long slice or epoch runs."""

    def __init__(self, recorder: RunRecorder, interval_s: float = HEARTBEAT_INTERVAL_S):
        self.recorder = recorder
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-run-{recorder.run_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not self.recorder.heartbeat():
                    self.recorder.still_running = False
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one retries
                continue

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 1)
