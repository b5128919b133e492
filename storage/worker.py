"""Worker process for one run: ``python -m storage.worker RUN_ID``.

Storage layer, process entry point. The run manager starts it as a subprocess (never a fork of the app), with
the database URL in ``QNP_STUDIO_DB_URL``. It claims the run, runs the engine slice by slice (or the QNN
training epoch by epoch) writing metric rows through :class:`RunRecorder`, checks the cancel flag between
slices, and always ends the run ``done``, ``failed`` (with a readable error) or ``cancelled`` — unless the
process itself is killed, which the manager detects (dead pid) and records.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import traceback
from types import FrameType
from typing import IO, Any

from storage.db import create_db_engine
from storage.errors import RunNotFound
from storage.models import Run, RunKind, RunStatus
from storage.recorder import Heartbeat, RunRecorder
from storage.runs import get_run

QNN_METRICS = ("loss", "train_accuracy", "test_accuracy")
ENV_FLUSH = "QNP_STUDIO_FLUSH_INTERVAL_S"  # seconds between sample commits (default 0.25; 0: every slice)


class WorkerTerminated(BaseException):
    """Raised in the main thread on SIGTERM (the manager's escalation for a run that ignores cancel)."""


class RunFailure(Exception):
    """A failure whose message is already meant for the user (no traceback artefact)."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise WorkerTerminated


def _json_artefact(data: dict[str, Any]) -> tuple[str, str, bytes]:
    return ("result.json", "application/json", json.dumps(data, indent=2, default=str).encode("utf-8"))


def run_entanglement(run: Run, recorder: RunRecorder) -> None:
    from qnp_engine.model import ScenarioError, load_scenario
    from qnp_engine.sim import Simulation

    try:
        scenario = load_scenario(run.spec)
    except ScenarioError as exc:
        raise RunFailure("invalid scenario:\n" + "\n".join(f"  {e}" for e in exc.errors)) from None
    if run.seed is not None and run.seed != scenario.simulation.seed:
        simulation = scenario.simulation.model_copy(update={"seed": run.seed})
        scenario = scenario.model_copy(update={"simulation": simulation})
    sim = Simulation(scenario, engine=run.engine)
    stopped = False
    for step, snap in enumerate(sim.stream()):
        if recorder.record(step, snap.sim_time_s, snap.rows(), snap.progress):
            stopped = True
            break
    _end(recorder, stopped, sim.result)


def run_qnn(run: Run, recorder: RunRecorder) -> None:
    try:
        from qnp_engine.qnn import QnnConfigError, parse_config, train
    except ImportError as exc:
        raise RunFailure(f"QNN training is not available in this installation ({exc})") from None
    try:
        config = parse_config(json.loads(run.spec))
    except QnnConfigError as exc:
        raise RunFailure("invalid QNN config:\n" + "\n".join(f"  {e}" for e in exc.errors)) from None
    start = time.monotonic()
    seen = 0

    def on_epoch(info: dict[str, Any]) -> None:
        nonlocal seen
        seen += 1
        rows = [("qnn", m, float(info[m])) for m in QNN_METRICS if isinstance(info.get(m), int | float)]
        # The step is the epoch (or optimiser iteration); sim_time_s of a training is its wall time so far.
        elapsed = info.get("wall_time_s", time.monotonic() - start)
        recorder.record(int(info.get("epoch", seen)), float(elapsed), rows, seen / config.epochs, force=True)

    def should_stop() -> bool:
        return recorder.cancel_requested or not recorder.still_running

    try:
        result = train(config, on_epoch=on_epoch, should_stop=should_stop)
    except QnnConfigError as exc:  # a problem only the model reveals (e.g. initial_weights of the wrong size)
        raise RunFailure("invalid QNN config:\n" + "\n".join(f"  {e}" for e in exc.errors)) from None
    _end(recorder, should_stop(), lambda: result)


def _end(recorder: RunRecorder, stopped: bool, get_result: Any) -> None:
    if stopped and not recorder.cancel_requested:
        return  # someone else ended the run (reaped or deleted): nothing left to record
    try:
        summary = get_result().to_dict()
    except Exception:  # noqa: BLE001 - a partial result is optional for a cancelled run
        if not stopped:
            raise
        summary = None
    status = RunStatus.CANCELLED if stopped else RunStatus.DONE
    arts = [_json_artefact(summary)] if summary is not None else []
    recorder.finish(status, summary=summary, error="cancelled by the user" if stopped else None, artefacts=arts)


def execute(engine: Any, run_id: int, *, flush_interval_s: float = 0.25) -> RunStatus | None:
    """Run ``run_id`` to its end in this process; returns the final status (None if it was not startable)."""
    recorder = RunRecorder(engine, run_id, flush_interval_s=flush_interval_s)
    run = recorder.claim()
    if run is None:
        return None
    try:
        with Heartbeat(recorder):
            if run.kind == RunKind.ENTANGLEMENT.value:
                run_entanglement(run, recorder)
            elif run.kind == RunKind.QNN.value:
                run_qnn(run, recorder)
            else:
                raise RunFailure(f"kind: unknown run kind {run.kind!r} (expected entanglement or qnn)")
    except RunFailure as exc:
        recorder.fail(str(exc))
    except WorkerTerminated:
        if recorder.cancel_requested:
            recorder.finish(RunStatus.CANCELLED, error="cancelled by the user (worker stopped)")
        else:
            recorder.fail("the worker was terminated (SIGTERM) before the run finished")
    except Exception as exc:  # noqa: BLE001 - any engine error ends the run failed, with its text
        recorder.fail(f"{type(exc).__name__}: {exc}", detail=traceback.format_exc())
    return RunStatus(get_run(engine, run_id).status)


def wait_for_run(stream: IO[str]) -> int | None:
    """Standby: import what runs need, then read one run id from ``stream`` (None at end of input)."""
    import qnp_engine.model  # noqa: F401 - imported now so that the run starts at once
    import qnp_engine.sim  # noqa: F401

    line = stream.readline().strip()
    return int(line) if line else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage.worker", description=__doc__.splitlines()[0])
    parser.add_argument("run_id", type=int, nargs="?")
    parser.add_argument("--standby", action="store_true",
                        help="import the engine, then wait for the run id on stdin (the run manager's spare)")
    parser.add_argument("--db-url", default=None, help="SQLAlchemy URL (default: QNP_STUDIO_DB_URL / QNP_STUDIO_DB)")
    args = parser.parse_args(argv)
    if (args.run_id is None) == (not args.standby):
        parser.error("give a run id or --standby (not both)")
    try:
        flush_s = float(os.environ.get(ENV_FLUSH) or 0.25)
    except ValueError:
        flush_s = 0.25
    engine = create_db_engine(args.db_url)
    run_id = args.run_id
    if args.standby:
        run_id = wait_for_run(sys.stdin)
        if run_id is None:
            engine.dispose()
            return 0
    signal.signal(signal.SIGTERM, _on_sigterm)  # a spare is simply killed; a run ends "cancelled"
    try:
        execute(engine, run_id, flush_interval_s=flush_s)
    except RunNotFound as exc:
        print(f"storage.worker: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
