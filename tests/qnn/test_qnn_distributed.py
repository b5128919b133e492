"""Distributed QNN: teleported remote gates equal the monolithic model (perfect pairs) and the
monolithic model with the matching Pauli channel (Werner pairs); pairs come from a QNP engine run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnp_engine.qnn import QnnConfigError, train
from qnp_engine.qnn.circuit import build_circuit, readout_spec
from qnp_engine.qnn.config import DistributedCircuit, DistributedConfig, QnnConfig
from qnp_engine.qnn.distributed import (
    distribute,
    network_time_per_epoch,
    placement,
    remote_gate_counts,
    with_channel,
)
from qnp_engine.qnn.network import pair_supply

CHAIN_3 = Path(__file__).resolve().parents[2] / "sample_topologies" / "chain-3.yaml"
RNG = np.random.default_rng(9)


def setup(qubits: int, nodes: list[str], **options):
    cfg = QnnConfig.model_validate({"qubits": qubits, "reps": 2, **options})
    c = build_circuit(cfg, 2)
    where = placement(DistributedConfig(nodes=nodes, pair_fidelity=1.0), qubits)
    return c, readout_spec(cfg, 2), where


@pytest.mark.parametrize(("qubits", "nodes", "options"), [
    (2, ["A", "B"], {"ansatz": "real_amplitudes"}),
    (3, ["A", "B"], {"feature_map": "zz", "ansatz": "hardware_efficient"}),  # remote gates in the feature map too
    (3, ["A", "B", "C"], {"ansatz": "hardware_efficient", "readout": "sampler"}),
])
def test_perfect_pairs_equal_the_monolithic_model(cudaq, qubits: int, nodes: list[str], options: dict) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine
    from qnp_engine.qnn.qiskit_engine import QiskitEngine

    c, spec, where = setup(qubits, nodes, **options)
    remote = remote_gate_counts(c, where)
    assert sum(remote.values()) >= 2
    tele = distribute(c, where, dict.fromkeys(remote, 1.0))
    assert tele.num_qubits == qubits + 2 * len(remote) and not tele.is_noisy
    xs, ws = RNG.uniform(0, np.pi, (3, 2)), RNG.uniform(-np.pi, np.pi, c.num_weights)
    mono_out, mono_jac = CudaqEngine(c, spec).jacobian(xs, ws)
    tele_out, tele_jac = CudaqEngine(tele, spec).jacobian(xs, ws)
    assert np.allclose(tele_out, mono_out, atol=1e-12) and np.allclose(tele_jac, mono_jac, atol=1e-12)
    if spec.kind.value == "observable":
        assert np.allclose(QiskitEngine(tele, spec).forward(xs, ws), mono_out, atol=1e-12)


@pytest.mark.parametrize("fidelity", [0.95, 0.8])
def test_werner_pairs_equal_monolithic_plus_channel(cudaq, fidelity: float) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine
    from qnp_engine.qnn.qiskit_engine import QiskitEngine

    c, spec, where = setup(2, ["A", "B"], ansatz="hardware_efficient", feature_map="zz")
    remote = remote_gate_counts(c, where)
    tele = distribute(c, where, dict.fromkeys(remote, fidelity), DistributedCircuit.TELEPORT)
    channel = with_channel(c, where, fidelity)
    assert tele.is_noisy and channel.is_noisy and channel.num_qubits == 2
    xs, ws = RNG.uniform(0, np.pi, (3, 2)), RNG.uniform(-np.pi, np.pi, c.num_weights)
    want = CudaqEngine(channel, spec).forward(xs, ws)
    assert np.allclose(CudaqEngine(tele, spec).forward(xs, ws), want, atol=1e-12)
    assert np.allclose(QiskitEngine(tele, spec).forward(xs, ws), want, atol=1e-12)
    assert np.allclose(QiskitEngine(channel, spec).forward(xs, ws), want, atol=1e-12)
    noiseless = CudaqEngine(c, spec).forward(xs, ws)
    assert np.max(np.abs(want - noiseless)) > 1e-3  # the noise is really there


@pytest.mark.parametrize("fidelity", [1.0, 0.9, 0.7])
def test_teleported_cnot_on_plus_zero_makes_a_bell_pair_of_the_pair_fidelity(cudaq, fidelity: float) -> None:
    """|+>|0> through a remote CX is |Phi+>; with a Werner pair of fidelity F its fidelity is F."""
    from qnp_engine.qnn.circuit import Circuit
    from qnp_engine.qnn.cudaq_engine import CudaqEngine
    from qnp_engine.qnn.distributed import Placement

    c = Circuit(num_qubits=2, num_inputs=1, data_qubits=2)
    c.add("h", 0)
    c.add("cx", 0, 1)
    tele = distribute(c, Placement(["A", "B"], [0, 1]), {("A", "B"): fidelity})
    spec = readout_spec(QnnConfig(qubits=2), 2)
    engine = CudaqEngine(tele, spec, target="density-matrix-cpu")
    s = cudaq.spin
    bell = (s.x(0) * s.x(1) - s.y(0) * s.y(1) + s.z(0) * s.z(1))
    progs = engine.programs(tele.input_angles(np.zeros((1, 1))))
    value = cudaq.observe(engine._kernel, bell, progs[0], noise_model=engine._noise).expectation()
    assert (1 + value) / 4 == pytest.approx(fidelity, abs=1e-12)


def test_pairs_come_from_a_network_run() -> None:
    cfg = DistributedConfig(topology=CHAIN_3, nodes=["A", "B"], pairs_per_request=200)
    supply = pair_supply(cfg, [("A", "B")], seed=3)[("A", "B")]
    assert supply.source == "network" and supply.path == ("A", "R", "B") and supply.pairs_delivered == 200
    # chain-3: link Werner fidelities 0.95 and 0.9 -> swapped pair (Werner formula) about 0.857
    f1, f2 = 0.95, 0.9
    assert supply.fidelity == pytest.approx(f1 * f2 + (1 - f1) * (1 - f2) / 3, abs=0.01)
    assert supply.rate_hz > 0
    override = pair_supply(cfg.model_copy(update={"pair_fidelity": 0.9}), [("A", "B")], seed=3)[("A", "B")]
    assert override.fidelity == 0.9 and override.rate_hz == pytest.approx(supply.rate_hz)


def test_unknown_nodes_name_the_field() -> None:
    cfg = DistributedConfig(topology=CHAIN_3, nodes=["A", "Z"])
    with pytest.raises(QnnConfigError, match="distributed.nodes: not in topology chain-3: Z"):
        pair_supply(cfg, [("A", "Z")], seed=1)
    bad = DistributedConfig(scenario={"name": "x", "nodes": [{"name": "A"}], "links": [{"a": "A", "b": "Q"}]},
                            nodes=["A", "B"])
    with pytest.raises(QnnConfigError) as exc:
        pair_supply(bad, [("A", "B")], seed=1)
    assert all(e.path.startswith("distributed.scenario") for e in exc.value.errors)


def test_network_time_per_epoch() -> None:
    gates = {("A", "B"): 2, ("B", "C"): 1}
    rates = {("A", "B"): 1000.0, ("B", "C"): 100.0}
    # node pairs in parallel: max(10 * 5 * 2 / 1000, 10 * 5 * 1 / 100)
    assert network_time_per_epoch(10, 5, gates, rates) == pytest.approx(0.5)
    assert network_time_per_epoch(10, 5, gates, {**rates, ("B", "C"): None}) is None  # a rate is unknown


def test_fidelity_override_without_a_network(cudaq) -> None:
    result = train({"samples": 16, "qubits": 2, "reps": 1, "epochs": 1, "seed": 2,
                    "distributed": {"nodes": ["A", "B"], "pair_fidelity": 0.9, "circuit": "channel"}})
    d = result.to_dict()["distributed"]
    assert d["pairs"][0]["source"] == "override" and d["pairs"][0]["fidelity"] == 0.9
    assert d["pairs"][0]["rate_hz"] is None and d["network_time_per_epoch_s"] is None


def test_distributed_training_reports_network_and_sweep(cudaq) -> None:
    rows = []
    result = train({"samples": 24, "qubits": 2, "reps": 1, "epochs": 2, "seed": 2,
                    "distributed": {"topology": str(CHAIN_3), "nodes": ["A", "B"], "circuit": "channel",
                                    "pairs_per_request": 100, "fidelity_sweep": [1.0, 0.7]}}, on_epoch=rows.append)
    d = result.distributed
    assert result.target == "density-matrix-cpu" and len(rows) == 2
    assert d["placement"] == {"A": [0], "B": [1]} and d["remote_gates_per_circuit"] == {"A-B": 1}
    pair = d["pairs"][0]
    assert pair["source"] == "network" and 0.8 < pair["fidelity"] < 0.9
    assert d["network_time_per_epoch_s"] == pytest.approx(
        d["circuits_per_epoch"] * d["shots_per_circuit"] / pair["rate_hz"])
    sweep = {s["fidelity"]: s for s in d["fidelity_sweep"]}
    assert set(sweep) == {1.0, 0.7}
    assert sweep[1.0]["loss"] != sweep[0.7]["loss"]
