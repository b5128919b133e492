"""Configuration validation: every problem names its field (pydantic and the FieldError form)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qnp_engine.qnn import QnnConfig, QnnConfigError, load_config, parse_config, train

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies" / "qnn"


def errors(data) -> dict[str, str]:
    with pytest.raises(QnnConfigError) as exc:
        parse_config(data)
    return {e.path: e.message for e in exc.value.errors}


def test_defaults_are_valid_and_round_trip() -> None:
    cfg = QnnConfig()
    assert cfg.resolved_task.value == "binary" and cfg.resolved_feature_map_reps == 1
    again = QnnConfig.model_validate(cfg.model_dump(mode="json"))
    assert again == cfg


@pytest.mark.parametrize(("data", "field", "words"), [
    ({"epochs": 0}, "epochs", "greater than or equal to 1"),
    ({"learning_rate": -1}, "learning_rate", "greater than 0"),
    ({"dataset": "mnist"}, "dataset", "two_moons"),
    ({"optimiser": "adam"}, "optimiser", "unknown field"),
    ({"task": "regression"}, "task", "regression_sine"),
    ({"dataset": "regression_sine", "task": "binary"}, "task", "regression"),
    ({"dataset": "regression_sine", "readout": "sampler"}, "readout", "observable"),
    ({"dataset": "iris", "observable": "parity"}, "observable", "multiclass"),
    ({"dataset": "ad_hoc", "qubits": 4}, "qubits", "2 or 3"),
    ({"engine": "qiskit", "readout": "sampler"}, "shots", "samples"),
    ({"engine": "qiskit", "target": "qpp-cpu"}, "target", "CUDA-Q"),
    ({"distributed": {"nodes": ["A"]}}, "distributed.nodes", "at least 2"),
    ({"distributed": {"nodes": ["A", "B"]}}, "distributed.topology", "pair_fidelity"),
    ({"distributed": {"nodes": ["A", "A"], "pair_fidelity": 0.9}}, "distributed.nodes", "distinct"),
    ({"distributed": {"nodes": ["A", "B"], "pair_fidelity": 0.2}}, "distributed.pair_fidelity", "0.25"),
    ({"distributed": {"nodes": ["A", "B"], "pair_fidelity": 0.9, "partition": [[0]]}}, "distributed.partition",
     "1 groups for 2 nodes"),
    ({"qubits": 3, "distributed": {"nodes": ["A", "B"], "pair_fidelity": 0.9, "partition": [[0], [0, 1]]}},
     "distributed.partition", "exactly one node"),
    ({"qubits": 2, "distributed": {"nodes": ["A", "B", "C"], "pair_fidelity": 0.9}}, "distributed.nodes",
     "3 nodes for 2 qubits"),
    ({"effective_dimension": {"weight_samples": 0}}, "effective_dimension.weight_samples", "greater than"),
])
def test_errors_name_the_field(data: dict, field: str, words: str) -> None:
    found = errors(data)
    assert field in found, found
    assert words in found[field]


def test_pydantic_errors_carry_the_location_too() -> None:
    with pytest.raises(ValidationError) as exc:
        QnnConfig.model_validate({"qubits": 0, "distributed": {"nodes": ["A", "B"], "pair_fidelity": 2}})
    locs = {tuple(e["loc"]) for e in exc.value.errors()}
    assert ("qubits",) in locs and ("distributed", "pair_fidelity") in locs


def test_not_a_mapping_and_bad_yaml(tmp_path: Path) -> None:
    assert errors([1, 2]) == {"": "the configuration must be a mapping (name:, dataset:, ...)"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: [two_moons\n")
    with pytest.raises(QnnConfigError, match="malformed YAML: line"):
        load_config(bad)
    with pytest.raises(QnnConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_runtime_checks_name_the_field() -> None:
    # Known only once the data and model exist: features vs qubits, initial weights vs the model.
    with pytest.raises(QnnConfigError, match="qubits: dataset iris has 4 features"):
        train({"dataset": "iris", "qubits": 2, "epochs": 1})
    with pytest.raises(QnnConfigError, match="initial_weights: the model has 6 weights, 2 given"):
        train({"samples": 16, "epochs": 1, "initial_weights": [0.1, 0.2], "engine": "qiskit-reference"})


def test_relative_topology_resolves_against_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("distributed: {topology: nets/t.yaml, nodes: [A, B]}\n")
    assert load_config(path).distributed.topology == tmp_path / "nets" / "t.yaml"


def test_every_sample_config_is_valid() -> None:
    files = sorted(SAMPLES.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        cfg = load_config(path)
        if cfg.distributed is not None and cfg.distributed.topology is not None:
            assert cfg.distributed.topology.exists(), path
