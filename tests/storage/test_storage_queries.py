"""Queries the app needs: submit, list/filter, latest snapshot, time series, compare, delete, export, cancel."""

from __future__ import annotations

import csv
import json
import math

import pytest

from storage.errors import InvalidRunRequest, RunNotFound, StorageError
from storage.export import export_run
from storage.models import RunStatus
from storage.recorder import RunRecorder
from storage.runs import (
    add_artefact,
    delete_run,
    get_artefact,
    get_run,
    list_artefacts,
    list_runs,
    request_cancel,
    submit_entanglement,
    submit_qnn,
)
from storage.samples import (
    compare_runs,
    count_samples,
    latest_snapshot,
    run_with_latest,
    samples_since,
    summary_numbers,
    time_series,
)
from tests.storage.storage_testkit import chain_yaml


def _record_slices(engine, run_id: int, steps: int, *, scale: float = 1.0) -> None:
    """Write ``steps`` slices through the worker's recorder, as a worker does (claim, slices, finish)."""
    rec = RunRecorder(engine, run_id, flush_interval_s=0)
    assert rec.claim() is not None
    for step in range(steps):
        rows = [("link:A-R", "attempts", scale * 10 * step), ("link:A-R", "fidelity", 0.9),
                ("request:ab", "pairs_delivered", scale * step), ("request:ab", "fidelity", math.nan)]
        rec.record(step, 0.1 * (step + 1), rows, (step + 1) / steps)
    rec.finish(RunStatus.DONE, summary={"requests": [{"name": "ab", "throughput_hz": scale * 5.0}], "events": 9},
               artefacts=[("result.json", "application/json", b'{"events": 9}')])


def test_submit_keeps_the_scenario_as_submitted_and_applies_overrides(engine):
    text = chain_yaml(seed=4)
    run = submit_entanglement(engine, text, label="baseline")
    assert (run.kind, run.status, run.name, run.seed, run.engine, run.label) == (
        "entanglement", "queued", "chain-3", 4, "closed-form", "baseline")
    assert run.spec == text
    over = submit_entanglement(engine, text, seed=9, engine_name="qiskit")
    assert (over.seed, over.engine) == (9, "qiskit")
    invalid = submit_entanglement(engine, "name: broken\nnodes: 3\n")  # stored; the worker fails it
    assert (invalid.status, invalid.name) == ("queued", "broken")


def test_submit_qnn_validates_the_config_json(engine):
    run = submit_qnn(engine, {"name": "iris", "epochs": 3, "seed": 2, "engine": "qiskit"})
    assert (run.kind, run.name, run.seed, run.engine) == ("qnn", "iris", 2, "qiskit")
    assert json.loads(run.spec) == {"engine": "qiskit", "epochs": 3, "name": "iris", "seed": 2}  # as submitted
    defaults = submit_qnn(engine, {"epochs": 3})  # the trainer's defaults, shown in the run list
    assert (defaults.name, defaults.engine, defaults.seed) == ("qnn", "cudaq", 1)
    invalid = submit_qnn(engine, {"name": "bad", "epochs": 0, "engine": "qiskit"})  # stored; the worker fails it
    assert (invalid.status, invalid.name, invalid.engine) == ("queued", "bad", "qiskit")
    with pytest.raises(InvalidRunRequest, match=r"config: not valid JSON \(line 1, column 2"):
        submit_qnn(engine, "{epochs: 3}")
    with pytest.raises(InvalidRunRequest, match="must be a JSON object"):
        submit_qnn(engine, "[1, 2]")


def test_list_and_filter_runs(engine):
    a = submit_entanglement(engine, chain_yaml(name="metro-a"), label="night")
    b = submit_entanglement(engine, chain_yaml(name="chain-b"))
    c = submit_qnn(engine, {"name": "iris"})
    request_cancel(engine, b.id)
    assert [r.id for r in list_runs(engine)] == [c.id, b.id, a.id]
    assert [r.id for r in list_runs(engine, kind="qnn")] == [c.id]
    assert [r.id for r in list_runs(engine, status="cancelled")] == [b.id]
    assert [r.id for r in list_runs(engine, status=["queued", "cancelled"], name="-")] == [b.id, a.id]
    assert [r.id for r in list_runs(engine, name="nig")] == [a.id]  # the label matches too
    assert [r.id for r in list_runs(engine, limit=1, offset=1)] == [b.id]
    assert list_runs(engine, since=c.created_at)[0].id == c.id


def test_unknown_run_ids_give_a_clear_error(engine):
    for call in (get_run, run_with_latest, delete_run, request_cancel, list_artefacts):
        with pytest.raises(RunNotFound, match=r"run 42 not found"):
            call(engine, 42)
    with pytest.raises(RunNotFound):
        time_series(engine, 42, "link:A-R", "attempts")
    with pytest.raises(RunNotFound):
        compare_runs(engine, 42, 43)
    with pytest.raises(RunNotFound):
        export_run(engine, 42, "/nonexistent-never-written")


def test_latest_snapshot_time_series_and_incremental_reads(engine):
    run = submit_entanglement(engine, chain_yaml())
    assert latest_snapshot(engine, run.id).step is None
    _record_slices(engine, run.id, 5)
    view = run_with_latest(engine, run.id)
    assert (view.run.status, view.run.progress, view.run.last_step) == ("done", 1.0, 4)
    assert view.latest.step == 4 and view.latest.sim_time_s == pytest.approx(0.5)
    # NaN means "no value yet": no row is written for it.
    assert view.latest.values == {("link:A-R", "attempts"): 40.0, ("link:A-R", "fidelity"): 0.9,
                                  ("request:ab", "pairs_delivered"): 4.0}
    assert view.latest.entity("link:A-R") == {"attempts": 40.0, "fidelity": 0.9}
    assert view.latest.entities == ["link:A-R", "request:ab"]
    series = time_series(engine, run.id, "link:A-R", "attempts")
    assert [(p.step, p.value) for p in series] == [(s, 10.0 * s) for s in range(5)]
    assert [p.step for p in time_series(engine, run.id, "link:A-R", "attempts", after_step=2)] == [3, 4]
    newer = samples_since(engine, run.id, after_step=3)
    assert {(s.step, s.entity, s.metric) for s in newer} == {
        (4, "link:A-R", "attempts"), (4, "link:A-R", "fidelity"), (4, "request:ab", "pairs_delivered")}
    assert count_samples(engine, run.id) == 15
    # A limited read never ends inside a step, so the next poll (after the last step read) misses nothing.
    assert [s.step for s in samples_since(engine, run.id, limit=7)] == [0, 0, 0, 1, 1, 1]
    assert [s.step for s in samples_since(engine, run.id, limit=6)] == [0, 0, 0, 1, 1, 1]
    assert [s.step for s in samples_since(engine, run.id, after_step=1, limit=2)] == [2, 2, 2]  # whole step
    seen, last = [], -1
    while batch := samples_since(engine, run.id, after_step=last, limit=4):
        seen += batch
        last = batch[-1].step
    assert seen == samples_since(engine, run.id)


def test_compare_two_runs(engine):
    a = submit_entanglement(engine, chain_yaml())
    b = submit_entanglement(engine, chain_yaml())
    _record_slices(engine, a.id, 3)
    _record_slices(engine, b.id, 3, scale=2.0)
    cmp = compare_runs(engine, a.id, b.id)
    rows = {(r.entity, r.metric): r for r in cmp.rows}
    assert (rows["link:A-R", "attempts"].a, rows["link:A-R", "attempts"].b) == (20.0, 40.0)
    assert rows["link:A-R", "attempts"].delta == 20.0
    assert rows["summary", "requests.ab.throughput_hz"].delta == 5.0
    assert rows["summary", "events"].delta == 0.0
    assert summary_numbers({"links": [{"a": "A", "b": "R", "attempts": 3}], "ok": True, "x": math.inf}) == {
        "links.A-R.attempts": 3.0}


def test_delete_cascades_to_samples_and_artefacts_only_of_that_run(engine):
    keep = submit_entanglement(engine, chain_yaml())
    gone = submit_entanglement(engine, chain_yaml())
    _record_slices(engine, keep.id, 4)
    _record_slices(engine, gone.id, 4)
    add_artefact(engine, gone.id, "notes.txt", "hello", "text/plain")
    delete_run(engine, gone.id)
    with pytest.raises(RunNotFound):
        get_run(engine, gone.id)
    assert count_samples(engine, gone.id) == 0
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM artefact WHERE run_id = :r"), {"r": gone.id}).scalar() == 0
    assert count_samples(engine, keep.id) == 12
    assert [a.name for a in list_artefacts(engine, keep.id)] == ["result.json"]


def test_active_runs_cannot_be_deleted_and_cancel_depends_on_status(engine):
    queued = submit_entanglement(engine, chain_yaml())
    running = submit_entanglement(engine, chain_yaml())
    rec = RunRecorder(engine, running.id)
    rec.claim()
    for run in (queued, running):
        with pytest.raises(StorageError, match="cancel it and wait"):
            delete_run(engine, run.id)
    assert request_cancel(engine, queued.id).status == "cancelled"
    flagged = request_cancel(engine, running.id)
    assert (flagged.status, flagged.cancel_requested) == ("running", True)
    rec.record(0, 0.1, [("run", "events", 1.0)], 0.1, force=True)
    assert rec.cancel_requested  # the worker sees it at its next flush
    done = submit_entanglement(engine, chain_yaml())
    _record_slices(engine, done.id, 1)
    assert request_cancel(engine, done.id).status == "done"  # finished runs stay as they are


def test_export_writes_json_record_and_csv_of_every_sample(engine, tmp_path):
    run = submit_entanglement(engine, chain_yaml(seed=3))
    _record_slices(engine, run.id, 6)
    files = export_run(engine, run.id, tmp_path / "out")
    record = json.loads(files.json_path.read_text())
    assert record["run"]["id"] == run.id and record["run"]["status"] == "done" and record["run"]["seed"] == 3
    assert record["spec"] == chain_yaml(seed=3)
    assert record["summary"]["events"] == 9
    assert record["artefacts"] == [{"name": "result.json", "media_type": "application/json", "size_bytes": 13}]
    with files.csv_path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert files.sample_count == record["sample_count"] == len(rows) == 18
    assert list(rows[0]) == ["step", "sim_time_s", "entity", "metric", "value"]
    assert [(int(r["step"]), float(r["value"])) for r in rows if r["metric"] == "attempts"] == [
        (s, 10.0 * s) for s in range(6)]
    assert get_artefact(engine, run.id, "result.json").content == b'{"events": 9}'
    with pytest.raises(StorageError, match="no artefact named 'x.png'"):
        get_artefact(engine, run.id, "x.png")
