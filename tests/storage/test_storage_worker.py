"""The worker's run loop, in this process, on the real engine: rows written, result stored, failures readable."""

from __future__ import annotations

import json
import math
import os
import sys

import pytest
from sqlalchemy import update

from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation
from storage.models import Run, RunStatus
from storage.recorder import RunRecorder
from storage.runs import get_artefact, get_run, list_artefacts, request_cancel, submit_entanglement, submit_qnn
from storage.samples import count_samples, samples_since
from storage.worker import execute
from tests.storage.storage_testkit import SHORT_YAML, chain_yaml


def _replay_rows(yaml_text: str) -> list[tuple[int, str, str, float]]:
    """The rows the engine streams for this scenario, computed here without storage."""
    out = []
    for step, snap in enumerate(Simulation(load_scenario(yaml_text)).stream()):
        out += [(step, e, m, v) for e, m, v in snap.rows() if not math.isnan(v)]
    return out


def test_a_run_stores_every_streamed_row_and_the_result(engine):
    run = submit_entanglement(engine, SHORT_YAML)
    assert execute(engine, run.id, flush_interval_s=0.05) is RunStatus.DONE
    done = get_run(engine, run.id)
    assert (done.status, done.progress, done.error) == ("done", 1.0, None)
    assert done.started_at <= done.finished_at and done.worker_pid is not None
    stored = [(s.step, s.entity, s.metric, s.value) for s in samples_since(engine, run.id)]
    expected = _replay_rows(SHORT_YAML)  # same seed, same rows: nothing lost, nothing invented
    assert len(expected) > 1000 and sorted(stored) == sorted(expected)
    assert done.last_step == max(r[0] for r in expected)
    replay = Simulation(load_scenario(SHORT_YAML)).run().to_dict()
    for key in ("scenario", "seed", "engine", "events", "links", "requests"):
        assert done.summary[key] == replay[key]
    assert json.loads(get_artefact(engine, run.id, "result.json").content)["events"] == replay["events"]


def test_the_seed_and_engine_of_the_submission_override_the_scenario(engine):
    run = submit_entanglement(engine, SHORT_YAML, seed=7, engine_name="closed-form")
    execute(engine, run.id)
    assert get_run(engine, run.id).summary["seed"] == 7


def test_an_invalid_scenario_fails_with_the_field_errors(engine):
    run = submit_entanglement(engine, chain_yaml().replace("{a: R, b: B", "{a: R, b: C"))
    assert execute(engine, run.id) is RunStatus.FAILED
    failed = get_run(engine, run.id)
    assert failed.error.startswith("invalid scenario:\n  links[1].b:")
    assert "'C'" in failed.error and failed.finished_at is not None
    assert list_artefacts(engine, run.id) == []  # a user error needs no traceback


def test_an_engine_exception_mid_run_fails_the_run_and_keeps_the_earlier_slices(engine, monkeypatch):
    real_stream = Simulation.stream

    def failing_stream(self, slice_s=None):  # fault injection into the real engine's stream
        for i, snap in enumerate(real_stream(self, slice_s)):
            if i == 3:
                raise RuntimeError("backend lost its state")
            yield snap

    monkeypatch.setattr(Simulation, "stream", failing_stream)
    run = submit_entanglement(engine, SHORT_YAML)
    assert execute(engine, run.id, flush_interval_s=0) is RunStatus.FAILED
    failed = get_run(engine, run.id)
    assert failed.error == "RuntimeError: backend lost its state"
    assert "failing_stream" in get_artefact(engine, run.id, "traceback.txt").content.decode()
    assert failed.last_step == 2 and {s.step for s in samples_since(engine, run.id)} == {0, 1, 2}


def test_an_unknown_engine_fails_with_the_engine_message(engine):
    run = submit_entanglement(engine, SHORT_YAML, engine_name="bogus")
    assert execute(engine, run.id) is RunStatus.FAILED
    assert "unknown engine 'bogus'" in get_run(engine, run.id).error


def test_qnn_without_a_trainer_fails_readably(engine, monkeypatch):
    monkeypatch.setitem(sys.modules, "qnp_engine.qnn", None)  # as if the QNN package were not installed
    run = submit_qnn(engine, {"name": "iris", "epochs": 2})
    assert execute(engine, run.id) is RunStatus.FAILED
    assert get_run(engine, run.id).error.startswith("QNN training is not available in this installation")


def test_a_run_cancelled_before_its_worker_starts_is_not_run(engine):
    run = submit_entanglement(engine, SHORT_YAML)
    request_cancel(engine, run.id)
    assert execute(engine, run.id) is None
    assert get_run(engine, run.id).status == "cancelled" and count_samples(engine, run.id) == 0


def test_a_second_worker_for_a_run_another_worker_holds_does_nothing(engine):
    run = submit_entanglement(engine, SHORT_YAML)
    with engine.begin() as conn:  # a live worker (another process) has claimed it
        conn.execute(update(Run).where(Run.id == run.id).values(status="running", worker_pid=os.getpid() + 1))
    assert execute(engine, run.id) is None
    assert get_run(engine, run.id).worker_pid == os.getpid() + 1 and count_samples(engine, run.id) == 0


def test_a_cancel_flag_seen_between_slices_ends_the_run_cancelled(engine, monkeypatch):
    run = submit_entanglement(engine, SHORT_YAML)
    real_record = RunRecorder.record

    def record_then_cancel(self, step, *args, **kwargs):
        if step == 5:
            request_cancel(engine, run.id)  # what the app's Cancel button does meanwhile
        return real_record(self, step, *args, **kwargs)

    monkeypatch.setattr(RunRecorder, "record", record_then_cancel)
    assert execute(engine, run.id, flush_interval_s=0) is RunStatus.CANCELLED
    cancelled = get_run(engine, run.id)
    assert cancelled.error == "cancelled by the user" and cancelled.last_step == 5
    assert cancelled.summary is not None and cancelled.summary["sim_time_s"] < 0.3  # the partial result
    with pytest.raises(Exception, match="no artefact"):
        get_artefact(engine, run.id, "traceback.txt")


TINY_QNN = {"name": "tiny-moons", "dataset": "two_moons", "samples": 16, "qubits": 2, "reps": 1, "epochs": 4,
            "engine": "qiskit", "seed": 3}


def test_a_qnn_run_writes_one_row_per_metric_and_epoch_and_stores_the_result(engine):
    run = submit_qnn(engine, TINY_QNN)
    assert execute(engine, run.id) is RunStatus.DONE
    done = get_run(engine, run.id)
    assert (done.status, done.progress, done.last_step, done.engine, done.seed) == ("done", 1.0, 4, "qiskit", 3)
    history = done.summary["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]
    stored = {(s.step, s.metric): s.value for s in samples_since(engine, run.id) if s.entity == "qnn"}
    assert count_samples(engine, run.id) == len(stored) == 12
    for h in history:
        for metric in ("loss", "train_accuracy", "test_accuracy"):
            assert stored[h["epoch"], metric] == h[metric]
    assert json.loads(get_artefact(engine, run.id, "result.json").content)["name"] == "tiny-moons"


def test_an_invalid_qnn_config_fails_with_the_field_errors(engine):
    run = submit_qnn(engine, {**TINY_QNN, "epochs": 0, "qubitz": 2})
    assert execute(engine, run.id) is RunStatus.FAILED
    error = get_run(engine, run.id).error
    assert error.startswith("invalid QNN config:\n")
    assert "  epochs: " in error and "  qubitz: unknown field" in error


def test_a_cancel_during_training_stops_it_at_the_next_check(engine, monkeypatch):
    run = submit_qnn(engine, {**TINY_QNN, "epochs": 20})
    real_record = RunRecorder.record

    def record_then_cancel(self, step, *args, **kwargs):
        if step == 2:
            request_cancel(engine, run.id)
        return real_record(self, step, *args, **kwargs)

    monkeypatch.setattr(RunRecorder, "record", record_then_cancel)
    assert execute(engine, run.id) is RunStatus.CANCELLED
    cancelled = get_run(engine, run.id)
    assert cancelled.last_step == 2 and cancelled.summary["stopped"] is True
    assert {s.step for s in samples_since(engine, run.id)} == {1, 2}
