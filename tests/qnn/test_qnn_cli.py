"""``qnp qnn CONFIG.yaml``: per-epoch lines, a summary, JSON output; bad input names the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qnp_engine.cli.main import app

pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not installed")

RUNNER = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


def test_trains_prints_epochs_and_writes_json(tmp_path: Path) -> None:
    cfg = write(tmp_path, "name: tiny\nsamples: 24\nqubits: 2\nreps: 1\nepochs: 5\nengine: cudaq\ntarget: qpp-cpu\n")
    out = tmp_path / "result.json"
    res = RUNNER.invoke(app, ["qnn", str(cfg), "--engine", "qiskit", "--epochs", "2", "--seed", "3",
                              "--json", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("epoch    1  loss ") and lines[1].startswith("epoch    2  loss ")
    assert "tiny: qiskit (aer statevector), 2 qubits (2 data), 4 weights" in res.output
    data = json.loads(out.read_text())
    assert data["config"]["epochs"] == 2 and data["seed"] == 3 and len(data["history"]) == 2


def test_distributed_summary(tmp_path: Path, cudaq) -> None:
    chain = Path(__file__).resolve().parents[2] / "sample_topologies" / "chain-3.yaml"
    cfg = write(tmp_path, f"samples: 20\nqubits: 2\nreps: 1\nepochs: 1\ndistributed:\n  topology: {chain}\n"
                          "  nodes: [A, B]\n  circuit: channel\n  pairs_per_request: 50\n  fidelity_sweep: [0.9]\n")
    res = RUNNER.invoke(app, ["qnn", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "pairs A-B: fidelity 0.8" in res.output and "(network)" in res.output
    assert "Bell pairs and" in res.output and "pair fidelity 0.900: test" in res.output


@pytest.mark.parametrize(("text", "args", "message"), [
    ("epochs: 0\n", [], "epochs: must be greater than or equal to 1"),
    ("samples: 20\n", ["--engine", "torch"], "engine: must be 'cudaq', 'qiskit' or 'qiskit-reference'"),
    ("dataset: iris\nqubits: 2\nepochs: 1\nengine: qiskit-reference\n", [], "qubits: dataset iris has 4 features"),
    ("dataset: [\n", [], "malformed YAML"),
    ("- just\n- a list\n", [], "must be a mapping"),
])
def test_bad_input_exits_1_naming_the_field(tmp_path: Path, text: str, args: list[str], message: str) -> None:
    res = RUNNER.invoke(app, ["qnn", str(write(tmp_path, text)), *args])
    assert res.exit_code == 1
    assert "invalid QNN configuration" in res.output and message in res.output
    assert "Traceback" not in res.output
