"""Run manager with real worker processes: queue limit, cancel, SIGKILL/SIGTERM, concurrent writers and a reader.

These start ``python -m storage.worker`` subprocesses on real SQLite files in WAL mode.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation
from storage import db
from storage.liveness import find_stale, pid_alive, reap_stale
from storage.manager import RunManager, max_runs_from_env
from storage.models import MetricSample, Run, utcnow
from storage.runs import get_run, list_runs, submit_entanglement
from storage.samples import count_samples, latest_snapshot, samples_since
from tests.storage.storage_testkit import LONG_YAML, SHORT_YAML, chain_yaml


def _wait_for(predicate, timeout_s: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _steps_are_complete(engine, run_id: int) -> tuple[int, int]:
    """Every committed step holds the same number of rows (a whole snapshot); returns (steps, rows per step)."""
    with engine.connect() as conn:
        per_step = conn.execute(select(MetricSample.step, func.count()).where(MetricSample.run_id == run_id)
                                .group_by(MetricSample.step).order_by(MetricSample.step)).all()
    steps = [s for s, _ in per_step]
    assert steps == list(range(len(steps))), "committed steps have a gap"
    assert len({n for _, n in per_step}) == 1, f"a step was committed partially: {per_step}"
    return len(steps), per_step[0][1]


def test_extra_runs_queue_and_start_when_a_slot_frees(engine):
    mgr = RunManager(engine, max_concurrent=1)
    try:
        first = mgr.submit_entanglement(SHORT_YAML)
        second = mgr.submit_entanglement(SHORT_YAML, seed=2)
        assert (first.status, second.status) == ("running", "queued")
        assert mgr.tick().started == []  # the slot is taken
        done_first, done_second = mgr.wait(first.id, 60), mgr.wait(second.id, 60)
        assert (done_first.status, done_second.status) == ("done", "done")
        assert done_second.started_at >= done_first.finished_at
        _wait_for(lambda: mgr.tick() and mgr.active_workers() == [], what="both worker processes to exit")
    finally:
        mgr.shutdown(stop_workers=True)


def test_the_limit_counts_runs_of_every_manager_and_comes_from_the_environment(engine, monkeypatch):
    monkeypatch.setenv("QNP_STUDIO_MAX_RUNS", "3")
    assert max_runs_from_env() == 3
    monkeypatch.setenv("QNP_STUDIO_MAX_RUNS", "two")
    try:
        max_runs_from_env()
    except ValueError as exc:
        assert "QNP_STUDIO_MAX_RUNS: must be a whole number" in str(exc)
    else:
        raise AssertionError("a bad limit was accepted")
    # A run held by another app process (alive, on this host) takes the only slot.
    other = submit_entanglement(engine, SHORT_YAML)
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "storage.worker"])
    try:
        with engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == other.id).values(
                status="running", worker_pid=helper.pid, worker_host=socket.gethostname(), heartbeat_at=utcnow()))
        mgr = RunManager(engine, max_concurrent=1)
        mine = mgr.submit_entanglement(SHORT_YAML)
        assert mine.status == "queued" and get_run(engine, other.id).status == "running"
    finally:
        helper.kill()
        helper.wait()
    assert mgr.wait(mine.id, 60).status == "done"  # the other run's worker died: failed, slot freed
    assert "is no longer running" in get_run(engine, other.id).error


def test_cancel_stops_a_running_worker_after_its_current_slice(manager, engine):
    run = manager.submit_entanglement(LONG_YAML)
    _wait_for(lambda: get_run(engine, run.id).last_step >= 1, what="first committed slices")
    assert manager.cancel(run.id).cancel_requested
    ended = manager.wait(run.id, 30)
    assert ended.status == "cancelled" and ended.error == "cancelled by the user"
    assert ended.summary is not None and 0 < ended.summary["sim_time_s"] < 60
    steps, _ = _steps_are_complete(engine, run.id)
    assert steps == ended.last_step + 1


def test_sigkill_mid_run_keeps_committed_samples_and_the_next_start_fails_the_run(db_url, engine):
    first = RunManager(engine)
    run = first.submit_entanglement(LONG_YAML)
    _wait_for(lambda: get_run(engine, run.id).last_step >= 2, what="a few committed slices")
    pid = first.worker_pid(run.id)
    os.kill(pid, signal.SIGKILL)
    _wait_for(lambda: not pid_alive(pid), what="the worker to die")
    assert get_run(engine, run.id).status == "running"  # nobody has looked yet

    # "Next start": a new process opens the database and builds its manager.
    engine2 = db.open_database(db_url)
    with engine2.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    restarted = RunManager(engine2)
    assert [s.run_id for s in restarted.reaped_at_start] == [run.id]
    failed = get_run(engine2, run.id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert f"worker process {pid}" in failed.error and "no longer running" in failed.error
    steps, per_step = _steps_are_complete(engine2, run.id)
    assert steps == failed.last_step + 1 and steps >= 3
    assert count_samples(engine2, run.id) == steps * per_step
    first.shutdown()
    engine2.dispose()


def test_a_worker_that_dies_under_its_manager_is_failed_with_the_signal(manager, engine):
    run = manager.submit_entanglement(LONG_YAML)
    _wait_for(lambda: get_run(engine, run.id).last_step >= 0, what="the worker to start writing")
    os.kill(manager.worker_pid(run.id), signal.SIGKILL)
    failed = manager.wait(run.id, 30)
    assert failed.status == "failed" and "(killed by signal SIGKILL) before the run finished" in failed.error


def test_sigterm_ends_the_run_failed_with_the_reason(manager, engine):
    run = manager.submit_entanglement(LONG_YAML)
    _wait_for(lambda: get_run(engine, run.id).last_step >= 0, what="the worker to start writing")
    os.kill(manager.worker_pid(run.id), signal.SIGTERM)
    ended = manager.wait(run.id, 30)
    assert ended.status == "failed"
    assert ended.error == "the worker was terminated (SIGTERM) before the run finished"


def test_an_engine_failure_in_the_worker_process_is_readable(manager):
    # (Invalid scenarios, engine exceptions mid-run and QNN errors run the same code in-process:
    # test_storage_worker.py.)
    bogus = manager.wait(manager.submit_entanglement(SHORT_YAML, engine_name="bogus").id, 60)
    assert bogus.status == "failed" and bogus.error.startswith("BackendUnavailable: unknown engine 'bogus'")
    assert bogus.finished_at is not None


def test_two_workers_and_a_reader_at_once_lose_nothing_and_never_see_locked(manager, engine, monkeypatch):
    monkeypatch.setenv("QNP_STUDIO_FLUSH_INTERVAL_S", "0")  # a commit per slice: the most contention
    texts = [chain_yaml(pairs=10**7, max_time_s=0.4, seed=s) for s in (11, 12)]
    errors: list[BaseException] = []
    reads = 0
    stop = threading.Event()

    def reader(run_ids: list[int]) -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                for run_id in run_ids:
                    latest_snapshot(engine, run_id)
                    samples_since(engine, run_id, after_step=max(get_run(engine, run_id).last_step - 2, -1))
                list_runs(engine)
                reads += 1
            except BaseException as exc:  # noqa: BLE001 - any error (e.g. "database is locked") fails the test
                errors.append(exc)
                return

    runs = [manager.submit_entanglement(t) for t in texts]
    assert [r.status for r in runs] == ["running", "running"]
    thread = threading.Thread(target=reader, args=([r.id for r in runs],))
    thread.start()
    try:
        ended = [manager.wait(r.id, 90) for r in runs]
    finally:
        stop.set()
        thread.join()
    assert errors == [] and reads > 5
    assert [r.status for r in ended] == ["done", "done"], [r.error for r in ended]
    for run, yaml_text in zip(ended, texts, strict=True):
        expected = []
        for step, snap in enumerate(Simulation(load_scenario(yaml_text)).stream()):
            expected += [(step, e, m, v) for e, m, v in snap.rows() if not math.isnan(v)]
        stored = [(s.step, s.entity, s.metric, s.value) for s in samples_since(engine, run.id)]
        assert sorted(stored) == sorted(expected)  # every row, each exactly once, in the right run
        assert run.last_step == expected[-1][0] == 99  # one commit per slice, 100 slices


def test_stale_runs_are_judged_by_pid_on_this_host_and_by_heartbeat_elsewhere(engine):
    host = socket.gethostname()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    old, fresh = utcnow() - timedelta(minutes=10), utcnow()
    cases = {  # label: (pid, host, heartbeat)
        "dead pid": (gone.pid, host, fresh),
        "recycled pid, not a worker": (os.getpid(), host, fresh),
        "other host, silent": (4242, "elsewhere", old),
        "other host, beating": (4242, "elsewhere", fresh),
        "not started yet": (None, host, fresh),
    }
    ids = {}
    for label, (pid, where, beat) in cases.items():
        run = submit_entanglement(engine, SHORT_YAML, label=label)
        with engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == run.id).values(
                status="running", worker_pid=pid, worker_host=where, heartbeat_at=beat))
        ids[label] = run.id
    assert {s.run_id for s in find_stale(engine, stale_after_s=60)} == {
        ids["dead pid"], ids["recycled pid, not a worker"], ids["other host, silent"]}
    reaped = reap_stale(engine, stale_after_s=60)
    assert len(reaped) == 3
    assert "sent no heartbeat for more than 60 s" in get_run(engine, ids["other host, silent"]).error
    assert get_run(engine, ids["other host, beating"]).status == "running"
    assert get_run(engine, ids["not started yet"]).status == "running"
    assert reap_stale(engine, stale_after_s=60) == []  # idempotent
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM run WHERE status = 'failed'")).scalar() == 3


def test_standby_spare_takes_the_next_run_and_is_replaced(engine):
    mgr = RunManager(engine, max_concurrent=2, standby=True)
    try:
        spare = mgr._spare[0]
        assert spare.poll() is None  # started with the manager, waiting for a run id
        run = mgr.submit_entanglement(SHORT_YAML)
        assert mgr.worker_pid(run.id) == spare.pid  # the spare took the run: no new interpreter for it
        assert get_run(engine, run.id).worker_pid == spare.pid
        done = mgr.wait(run.id, 60)
        assert done.status == "done" and done.summary["requests"][0]["pairs_delivered"] > 0
        again = mgr.submit_entanglement(SHORT_YAML)
        new_spare = get_run(engine, again.id).worker_pid
        assert new_spare not in (None, spare.pid)  # the run went to the spare started behind the first
        assert mgr.wait(again.id, 60).status == "done"
        # the same seed gives the same result whichever process ran it
        assert get_run(engine, again.id).summary["requests"] == done.summary["requests"]
    finally:
        last = mgr._spare[0] if mgr._spare else None
        mgr.shutdown(stop_workers=True)
    assert mgr._spare is None and (last is None or last.poll() is not None)  # the spare ended with the manager


def test_a_dead_spare_falls_back_to_a_fresh_worker(engine):
    mgr = RunManager(engine, standby=True)
    try:
        spare = mgr._spare[0]
        spare.kill()
        spare.wait()
        run = mgr.submit_entanglement(SHORT_YAML)
        assert mgr.worker_pid(run.id) not in (None, spare.pid)
        assert mgr.wait(run.id, 60).status == "done"
    finally:
        mgr.shutdown(stop_workers=True)


def test_worker_command_line_standby_and_errors(db_url):
    env = dict(os.environ, QNP_STUDIO_DB_URL=db_url)
    ended = subprocess.run([sys.executable, "-m", "storage.worker", "--standby"], input="", env=env,
                           capture_output=True, text=True, timeout=60)
    assert ended.returncode == 0  # end of input: a spare that is never used exits cleanly
    both = subprocess.run([sys.executable, "-m", "storage.worker", "3", "--standby"], env=env,
                          capture_output=True, text=True, timeout=60)
    neither = subprocess.run([sys.executable, "-m", "storage.worker"], env=env, capture_output=True, text=True,
                             timeout=60)
    for bad in (both, neither):
        assert bad.returncode == 2 and "give a run id or --standby" in bad.stderr


def test_standby_setting_from_the_environment(monkeypatch):
    from storage.manager import ENV_STANDBY, standby_from_env

    monkeypatch.delenv(ENV_STANDBY, raising=False)
    assert standby_from_env() is True
    for raw, expected in (("0", False), ("off", False), ("1", True), ("yes", True)):
        monkeypatch.setenv(ENV_STANDBY, raw)
        assert standby_from_env() is expected
    monkeypatch.setenv(ENV_STANDBY, "maybe")
    with pytest.raises(ValueError, match=f"{ENV_STANDBY}: must be 1 or 0, got 'maybe'"):
        standby_from_env()


def test_the_manager_builds_the_compiled_engine_in_the_background(engine, tmp_path, monkeypatch):
    from qnp_engine.compiled import CACHE_ENV, MODE_ENV
    from qnp_engine.compiled.build import toolchain_problem

    if toolchain_problem() is not None:
        pytest.skip(f"cannot build here: {toolchain_problem()}")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.setenv(MODE_ENV, "auto")
    mgr = RunManager(engine, reap_at_start=False)
    build = mgr._engine_build
    try:
        assert build is not None and build.args[1:3] == ["-m", "qnp_engine.compiled.build"]
        assert RunManager(engine, reap_at_start=False)._engine_build is None  # one build, not one per manager
    finally:
        os.killpg(build.pid, signal.SIGKILL)  # the real build takes ~30 s of CPU: the wiring is what is tested
        build.wait()


def test_a_spare_started_before_the_build_is_replaced_when_it_is_ready(engine):
    mgr = RunManager(engine, standby=True)
    try:
        first = mgr._spare[0]
        # A finished process stands in for the finished build (the build itself: tests/qnp_engine).
        mgr._engine_build = subprocess.Popen([sys.executable, "-c", "pass"])
        mgr._engine_build.wait()
        mgr.tick()
        assert mgr._engine_build is None
        assert first.poll() is not None and mgr._spare[0].pid != first.pid and mgr._spare[0].poll() is None
        run = mgr.submit_entanglement(SHORT_YAML)
        assert mgr.wait(run.id, 60).status == "done"
    finally:
        mgr.shutdown(stop_workers=True)
