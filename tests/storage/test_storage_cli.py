"""``qnp runs list | show | export | delete | cancel | compare`` over a real database file."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest
from typer.testing import CliRunner

from storage.cli import app
from storage.models import RunStatus
from storage.recorder import RunRecorder
from storage.runs import get_run, submit_entanglement, submit_qnn
from tests.storage.storage_testkit import chain_yaml

runner = CliRunner()


@pytest.fixture
def history(engine, tmp_path):
    """Three runs: a finished one with samples, a failed one, a queued QNN run."""
    done = submit_entanglement(engine, chain_yaml(seed=3), label="baseline")
    rec = RunRecorder(engine, done.id, flush_interval_s=0)
    rec.claim()
    for step in range(3):
        rec.record(step, 0.5 * (step + 1), [("link:A-R", "attempts", 100.0 * step), ("request:ab", "fidelity", 0.9)],
                   (step + 1) / 3)
    rec.finish(RunStatus.DONE, summary={"events": 42})
    failed = submit_entanglement(engine, chain_yaml(name="other"))
    rec = RunRecorder(engine, failed.id)
    rec.claim()
    rec.fail("invalid scenario:\n  links[1].b: unknown node 'C' (line 12)")
    queued = submit_qnn(engine, {"name": "iris", "epochs": 2})
    return str(tmp_path / "runs.db"), done.id, failed.id, queued.id


def _run(db_path: str, *args: str, input: str | None = None):
    return runner.invoke(app, ["--db", db_path, *args], input=input)


def test_the_group_is_registered_for_the_qnp_command():
    eps = {ep.name: ep for ep in entry_points(group="qnp_studio.cli")}
    assert eps["runs"].load() is app


def test_list_filters_and_json(history):
    db_path, done, failed, queued = history
    out = _run(db_path, "list")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "KIND", "STATUS", "PROG"]
    assert [line.split()[0] for line in lines[1:]] == [str(queued), str(failed), str(done)]
    assert "chain-3 [baseline]" in out.stdout
    out = _run(db_path, "list", "--status", "failed", "--status", "done", "--kind", "entanglement")
    assert [line.split()[0] for line in out.stdout.splitlines()[1:]] == [str(failed), str(done)]
    data = json.loads(_run(db_path, "list", "--json", "--name", "iris").stdout)
    assert [(r["id"], r["kind"], r["status"]) for r in data] == [(queued, "qnn", "queued")]
    bad = _run(db_path, "list", "--status", "bogus")
    assert bad.exit_code != 0 and "bogus" in bad.output


def test_show_prints_details_error_and_latest_values(history):
    db_path, done, failed, _ = history
    out = _run(db_path, "show", str(done))
    assert out.exit_code == 0
    assert "status:      done" in out.stdout and "label:       baseline" in out.stdout
    assert "latest values (step 2, t = 1.5 s):" in out.stdout
    assert "link:A-R: attempts=200" in out.stdout and '"events": 42' in out.stdout
    out = _run(db_path, "show", str(failed))
    assert "error:\n  invalid scenario:\n    links[1].b: unknown node 'C' (line 12)" in out.stdout
    data = json.loads(_run(db_path, "show", str(done), "--json").stdout)
    assert data["latest"]["step"] == 2 and {"entity": "request:ab", "metric": "fidelity", "value": 0.9} in \
        data["latest"]["values"]


def test_unknown_ids_and_missing_databases_are_one_clear_line(history, tmp_path):
    db_path = history[0]
    for args in (["show", "999"], ["export", "999", "-o", str(tmp_path)], ["delete", "999", "-y"],
                 ["cancel", "999"], ["compare", "1", "999"]):
        out = _run(db_path, *args)
        assert out.exit_code == 1, args
        assert out.stderr.strip() == "error: run 999 not found (list runs with `qnp runs list`)", args
    out = _run(str(tmp_path / "nothing.db"), "list")
    assert out.exit_code == 1 and "no run history at" in out.stderr
    assert not (tmp_path / "nothing.db").exists()  # reading never creates a database
    out = runner.invoke(app, ["--db", str(tmp_path), "list"])  # a folder, not a database
    assert out.exit_code == 1 and out.stderr.startswith("error: cannot open the run history")


def test_export_writes_json_and_csv(history, tmp_path):
    db_path, done, *_ = history
    out = _run(db_path, "export", str(done), "--out", str(tmp_path / "exp"))
    assert out.exit_code == 0 and "(6 samples)" in out.stdout
    record = json.loads((tmp_path / "exp" / f"run-{done}.json").read_text())
    assert record["sample_count"] == 6 and record["summary"] == {"events": 42}
    csv_lines = (tmp_path / "exp" / f"run-{done}-samples.csv").read_text().splitlines()
    assert csv_lines[0] == "step,sim_time_s,entity,metric,value" and len(csv_lines) == 7


def test_delete_asks_unless_yes_and_refuses_active_runs(history, engine):
    db_path, done, failed, queued = history
    out = _run(db_path, "delete", str(done), input="n\n")
    assert out.exit_code == 1 and get_run(engine, done).status == "done"
    out = _run(db_path, "delete", str(done), input="y\n")
    assert out.exit_code == 0 and f"deleted run {done}" in out.stdout
    out = _run(db_path, "delete", str(queued), "-y")
    assert out.exit_code == 1 and "is queued; cancel it" in out.stderr
    out = _run(db_path, "cancel", str(queued))
    assert out.exit_code == 0 and out.stdout.strip() == f"run {queued}: cancelled"
    assert _run(db_path, "delete", str(queued), "-y").exit_code == 0
    assert _run(db_path, "delete", str(failed), "-y").exit_code == 0
    assert _run(db_path, "list").stdout.strip() == "no runs"


def test_compare_prints_both_values_and_the_delta(history, engine):
    db_path, done, failed, _ = history
    out = _run(db_path, "compare", str(done), str(failed))
    assert out.exit_code == 0
    row = next(line for line in out.stdout.splitlines() if line.startswith("link:A-R"))
    assert row.split() == ["link:A-R", "attempts", "200", "-", "-"]
