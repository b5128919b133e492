"""Run manager: queue runs, start at most N worker processes, cancel, and fail runs whose worker died.

Storage layer. Workers are subprocesses (``python -m storage.worker RUN_ID``), never forks of the app, and get
the database URL through the environment. The queue lives in the database, so every app process (and the CLI)
sees the same runs and the concurrency limit counts every ``running`` run, whoever started it.

How the app uses it (one manager per server process, e.g. in ``st.cache_resource``)::

    engine = open_database()                 # migrates the schema
    manager = RunManager(engine)             # fails runs left ``running`` by a dead worker
    manager.start_background(interval_s=1)   # or call ``manager.tick()`` from a ``run_every`` fragment
    run = manager.submit_entanglement(yaml_text)
    manager.cancel(run.id)

With ``standby=True`` the manager keeps one spare worker that has already imported the engine and waits for a
run id on its stdin (``python -m storage.worker --standby``): a run handed to it starts in milliseconds instead
of paying an interpreter start and the engine's imports (1-2 s), and a new spare is started behind it.

``tick()`` is cheap (a few indexed queries) and does the bookkeeping in order: collect exited workers (a
worker that died leaves its run failed with the exit signal and the tail of its stderr), fail stale runs, stop
workers that ignore a cancel for ``cancel_grace_s``, and start queued runs while fewer than N are running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, func, select, update

from qnp_engine.compiled.build import start_background_build
from qnp_engine.model import Scenario
from storage import runs
from storage.liveness import DEFAULT_STALE_AFTER_S, StaleRun, mark_failed, reap_stale
from storage.models import ACTIVE_STATUSES, Run, RunStatus, utcnow

ENV_MAX_RUNS = "QNP_STUDIO_MAX_RUNS"
ENV_STANDBY = "QNP_STUDIO_STANDBY_WORKER"  # "0" turns the app's spare worker off
DEFAULT_MAX_RUNS = 2
_STDERR_TAIL = 2000
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class _Worker:
    run_id: int
    proc: subprocess.Popen
    stderr: IO[bytes]
    cancel_seen_at: float | None = None
    terminated_at: float | None = None


@dataclass
class TickReport:
    started: list[int] = field(default_factory=list)
    exited: list[int] = field(default_factory=list)
    reaped: list[StaleRun] = field(default_factory=list)


def standby_from_env(default: bool = True) -> bool:
    raw = os.environ.get(ENV_STANDBY, "").strip().lower()
    if not raw:
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{ENV_STANDBY}: must be 1 or 0, got {raw!r}")


def max_runs_from_env(default: int = DEFAULT_MAX_RUNS) -> int:
    raw = os.environ.get(ENV_MAX_RUNS, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{ENV_MAX_RUNS}: must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{ENV_MAX_RUNS}: must be at least 1, got {value}")
    return value


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class RunManager:
    def __init__(self, engine: Engine, *, max_concurrent: int | None = None,
                 stale_after_s: float = DEFAULT_STALE_AFTER_S, cancel_grace_s: float = 10.0,
                 python: str = sys.executable, reap_at_start: bool = True, standby: bool = False):
        self.engine = engine
        self.max_concurrent = max_concurrent if max_concurrent is not None else max_runs_from_env()
        if self.max_concurrent < 1:
            raise ValueError(f"max_concurrent: must be at least 1, got {self.max_concurrent}")
        self.stale_after_s = stale_after_s
        self.cancel_grace_s = cancel_grace_s
        self.python = python
        self._workers: dict[int, _Worker] = {}
        self.standby = standby
        self._spare: tuple[subprocess.Popen, IO[bytes]] | None = None  # a worker waiting for a run id
        self._lock = threading.RLock()
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self.reaped_at_start: list[StaleRun] = reap_stale(engine, stale_after_s=stale_after_s) if reap_at_start \
            else []
        # No compiled engine for these sources yet: build one in the background (``qnp_engine.compiled``); the
        # first runs go pure Python, the ones started after it is ready compiled (same results, ~2x faster).
        self._engine_build: subprocess.Popen | None = start_background_build()
        if standby:
            with self._lock:
                self._refill_spare()

    # -- submitting and cancelling -------------------------------------------------------------------------
    def submit_entanglement(self, scenario: str | Scenario, *, engine_name: str | None = None,
                            seed: int | None = None, label: str = "", start: bool = True) -> Run:
        run = runs.submit_entanglement(self.engine, scenario, engine_name=engine_name, seed=seed, label=label)
        if start:
            self.tick()
        return runs.get_run(self.engine, run.id)

    def submit_qnn(self, config: Mapping[str, Any] | str, *, label: str = "", start: bool = True) -> Run:
        run = runs.submit_qnn(self.engine, config, label=label)
        if start:
            self.tick()
        return runs.get_run(self.engine, run.id)

    def cancel(self, run_id: int) -> Run:
        """Cancel a queued run now, or ask a running worker to stop after its current slice."""
        return runs.request_cancel(self.engine, run_id)

    # -- bookkeeping ---------------------------------------------------------------------------------------
    def tick(self) -> TickReport:
        with self._lock:
            report = TickReport()
            self._check_engine_build()
            report.exited = self._collect_exited()
            report.reaped = reap_stale(self.engine, stale_after_s=self.stale_after_s, skip=set(self._workers))
            self._escalate_cancels()
            report.started = self._start_queued()
            return report

    def active_workers(self) -> list[int]:
        with self._lock:
            return sorted(self._workers)

    def worker_pid(self, run_id: int) -> int | None:
        with self._lock:
            w = self._workers.get(run_id)
            return w.proc.pid if w else None

    def wait(self, run_id: int, timeout_s: float = 60.0, poll_s: float = 0.1) -> Run:
        """Tick until ``run_id`` has finished; raises ``TimeoutError`` (the run keeps going) after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.tick()
            run = runs.get_run(self.engine, run_id)
            if run.status not in ACTIVE_STATUSES:
                return run
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {run.status} after {timeout_s:g} s")
            time.sleep(poll_s)

    def start_background(self, interval_s: float = 1.0) -> None:
        """Tick from a daemon thread, so queued runs start even when no page is polling."""
        if self._ticker and self._ticker.is_alive():
            return
        self._ticker_stop.clear()

        def loop() -> None:
            while not self._ticker_stop.wait(interval_s):
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - a failed tick (e.g. DB busy past the timeout) retries next time
                    continue

        self._ticker = threading.Thread(target=loop, name="qnp-run-manager", daemon=True)
        self._ticker.start()

    def shutdown(self, *, stop_workers: bool = False, timeout_s: float = 10.0) -> None:
        """Stop the ticker; with ``stop_workers``, cancel this manager's running workers and wait for them."""
        self._ticker_stop.set()
        if self._ticker:
            self._ticker.join(timeout=timeout_s)
        with self._lock:
            self._stop_spare(timeout_s)
        if not stop_workers:
            return
        with self._lock:
            for run_id in list(self._workers):
                runs.request_cancel(self.engine, run_id)
            deadline = time.monotonic() + timeout_s
            for w in self._workers.values():
                try:
                    w.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    w.proc.kill()
                    w.proc.wait()
            self._collect_exited()

    # -- internals -----------------------------------------------------------------------------------------
    def _collect_exited(self) -> list[int]:
        exited = []
        for run_id, w in list(self._workers.items()):
            code = w.proc.poll()
            if code is None:
                continue
            exited.append(run_id)
            del self._workers[run_id]
            w.stderr.seek(0)
            tail = w.stderr.read()[-_STDERR_TAIL:].decode("utf-8", errors="replace").strip()
            w.stderr.close()
            # A worker that ended normally has set its final status; one still "running" died on the way.
            reason = f"worker process {w.proc.pid} ended ({_exit_text(code)}) before the run finished"
            if w.cancel_seen_at is not None:
                reason = f"cancelled by the user; the worker did not stop in time and was {_exit_text(code)}"
            if tail:
                reason += f"\n{tail}"
            status = RunStatus.CANCELLED if w.cancel_seen_at is not None else RunStatus.FAILED
            with self.engine.begin() as conn:
                conn.execute(update(Run).where(Run.id == run_id, Run.status.in_(ACTIVE_STATUSES))  # type: ignore[attr-defined]
                             .values(status=status.value, error=reason, finished_at=utcnow()))
        return exited

    def _check_engine_build(self) -> None:
        if self._engine_build is None or self._engine_build.poll() is None:
            return
        self._engine_build = None
        if self._spare is not None:  # it imported the pure engine before the build was ready: replace it
            self._stop_spare(timeout_s=5.0)
            self._refill_spare()

    def _escalate_cancels(self) -> None:
        if not self._workers:
            return
        with self.engine.connect() as conn:
            flagged = set(conn.execute(select(Run.id).where(
                Run.id.in_(list(self._workers)), Run.cancel_requested.is_(True))).scalars())  # type: ignore[attr-defined]
        now = time.monotonic()
        for run_id in flagged:
            w = self._workers[run_id]
            if w.cancel_seen_at is None:
                w.cancel_seen_at = now
            elif w.terminated_at is None and now - w.cancel_seen_at > self.cancel_grace_s:
                w.proc.terminate()  # the worker's SIGTERM handler ends the run "cancelled"
                w.terminated_at = now
            elif w.terminated_at is not None and now - w.terminated_at > self.cancel_grace_s:
                w.proc.kill()

    def _running_count_below_limit(self):  # noqa: ANN202 - a SQL expression
        running = select(func.count()).select_from(Run).where(Run.status == RunStatus.RUNNING.value)
        return running.scalar_subquery() < self.max_concurrent

    def _start_queued(self) -> list[int]:
        started = []
        while True:
            with self.engine.connect() as conn:
                next_id = conn.execute(select(Run.id).where(Run.status == RunStatus.QUEUED.value)
                                       .order_by(Run.id).limit(1)).scalar()  # type: ignore[arg-type]
            if next_id is None:
                return started
            now = utcnow()
            with self.engine.begin() as conn:
                # One statement: claiming the run and checking the limit cannot interleave with another manager.
                claimed = conn.execute(
                    update(Run).where(Run.id == next_id, Run.status == RunStatus.QUEUED.value,
                                      self._running_count_below_limit())
                    .values(status=RunStatus.RUNNING.value, started_at=now, heartbeat_at=now,
                            worker_host=socket.gethostname(), worker_pid=None)
                ).rowcount
            if not claimed:
                with self.engine.connect() as conn:
                    still_queued = conn.execute(select(Run.status).where(Run.id == next_id)).scalar() == "queued"
                if still_queued:
                    return started  # all slots taken
                continue  # someone else took or cancelled it: look at the next one
            self._spawn(next_id)
            started.append(next_id)

    def _spawn(self, run_id: int) -> None:
        started = self._hand_to_spare(run_id)
        if started is None:
            try:
                started = self._popen([str(run_id)], subprocess.DEVNULL)
            except OSError as exc:
                mark_failed(self.engine, run_id, f"could not start the worker process: {exc}")
                return
        proc, stderr = started
        with self.engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == run_id, Run.worker_pid.is_(None))  # type: ignore[union-attr]
                         .values(worker_pid=proc.pid))
        self._workers[run_id] = _Worker(run_id, proc, stderr)
        if self.standby:
            self._refill_spare()

    def _popen(self, args: list[str], stdin: int) -> tuple[subprocess.Popen, IO[bytes]]:
        env = dict(os.environ)
        env["QNP_STUDIO_DB_URL"] = self.engine.url.render_as_string(hide_password=False)
        # The worker must import this very package, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept open until the worker exits (_collect_exited)
        try:
            proc = subprocess.Popen(
                [self.python, "-m", "storage.worker", *args], env=env,
                stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True,  # a Ctrl-C in the app's terminal does not kill the runs
            )
        except OSError:
            stderr.close()
            raise
        return proc, stderr

    def _hand_to_spare(self, run_id: int) -> tuple[subprocess.Popen, IO[bytes]] | None:
        """Give ``run_id`` to the waiting spare worker; None if there is none (or it has died)."""
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        proc, stderr = spare
        try:
            if proc.poll() is not None:
                raise OSError("the spare worker has exited")
            proc.stdin.write(f"{run_id}\n".encode())
            proc.stdin.close()  # flushes; the spare reads one line and runs it
        except OSError:
            _discard(proc, stderr)
            return None
        return proc, stderr

    def _refill_spare(self) -> None:
        if self._spare is not None and self._spare[0].poll() is None:
            return
        if self._spare is not None:
            _discard(*self._spare)
        try:
            self._spare = self._popen(["--standby"], subprocess.PIPE)
        except OSError:
            self._spare = None  # runs then start a fresh worker each, as without standby

    def _stop_spare(self, timeout_s: float) -> None:
        spare, self._spare = self._spare, None
        if spare is None:
            return
        proc, stderr = spare
        try:
            proc.stdin.close()  # end of input: the spare exits without running anything
            proc.wait(timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired):
            pass
        _discard(proc, stderr)


def _discard(proc: subprocess.Popen, stderr: IO[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    stderr.close()
