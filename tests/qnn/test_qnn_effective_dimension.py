"""Effective dimension (Abbas et al. 2021): equal to qiskit-machine-learning's on the same model."""

from __future__ import annotations

import numpy as np
import pytest

from qnp_engine.qnn.circuit import build_circuit, readout_spec
from qnp_engine.qnn.config import QnnConfig
from qnp_engine.qnn.effective_dimension import (
    ClassicalNet,
    classical_architecture,
    effective_dimension,
    effective_dimension_curve,
    normalized_fisher,
    quantum_fishers,
)

pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not installed")

from qiskit_machine_learning.neural_networks import EffectiveDimension, LocalEffectiveDimension  # noqa: E402

from qnp_engine.qnn.qiskit_engine import QiskitEngine  # noqa: E402

SIZES = [1000, 5000, 20_000, 100_000, 1_000_000]
MODELS = {
    "sampler-parity": dict(qubits=3, feature_map="zz", ansatz="real_amplitudes", reps=2, readout="sampler"),
    "estimator": dict(qubits=2, feature_map="angle", reupload=True, ansatz="hardware_efficient", reps=1),
}


def engines(name: str):
    cfg = QnnConfig.model_validate(MODELS[name])
    c = build_circuit(cfg, 2)
    spec = readout_spec(cfg, 2)
    # qiskit-ml's reference sampler (exact), or Aer's estimator (exact, faster) for the observable model.
    qiskit = QiskitEngine(c, spec, reference=spec.kind.value == "sampler")
    from qnp_engine.qnn.cudaq_engine import CudaqEngine

    return qiskit, CudaqEngine(c, spec)


@pytest.mark.parametrize("name", list(MODELS))
def test_global_and_local_match_qiskit_machine_learning(cudaq, name: str) -> None:
    qiskit, ours = engines(name)
    rng = np.random.default_rng(3)
    d = ours.circuit.num_weights
    inputs = rng.standard_normal((8, 2))
    weights = rng.uniform(-1, 1, (4, d))
    mine = effective_dimension(normalized_fisher(quantum_fishers(ours, inputs, weights), 4), SIZES)
    theirs = EffectiveDimension(qiskit.qnn, weight_samples=weights, input_samples=inputs).get_effective_dimension(
        np.array(SIZES))
    assert np.all(mine > 0.5) and np.all(mine <= d)
    assert np.allclose(mine, theirs, rtol=0.01)
    local = effective_dimension(normalized_fisher(quantum_fishers(ours, inputs, weights[:1]), 1), SIZES)
    local_ref = LocalEffectiveDimension(qiskit.qnn, weight_samples=weights[0],
                                        input_samples=inputs).get_effective_dimension(np.array(SIZES))
    assert np.allclose(local, local_ref, rtol=0.01)


@pytest.mark.parametrize(("d", "s_in"), [(6, 2), (8, 2), (12, 2), (16, 4), (40, 4), (7, 3)])
def test_classical_net_has_exactly_d_weights(d: int, s_in: int) -> None:
    sizes = classical_architecture(d, s_in)
    assert sizes[0] == s_in and sizes[-1] == 2
    assert ClassicalNet(sizes).num_weights == d


def test_classical_gradients_equal_finite_differences() -> None:
    net = ClassicalNet([3, 4, 2, 2])
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((5, 3)), rng.uniform(-1, 1, net.num_weights)
    p, g = net.probabilities_and_gradients(x, w)
    assert np.allclose(p.sum(axis=1), 1.0)
    h = 1e-6
    for j in range(net.num_weights):
        step = np.zeros_like(w)
        step[j] = h
        plus, minus = net.probabilities_and_gradients(x, w + step)[0], net.probabilities_and_gradients(x, w - step)[0]
        fd = (plus - minus) / (2 * h)
        assert np.allclose(g[:, :, j], fd, atol=1e-8)


def test_curve_data_for_the_app(cudaq) -> None:
    _, ours = engines("estimator")
    curve = effective_dimension_curve(ours, SIZES, weight_samples=4, input_samples=8, seed=2,
                                      trained_weights=np.zeros(ours.circuit.num_weights))
    assert curve["dataset_sizes"] == SIZES and curve["num_weights"] == 8
    for key in ("quantum_global", "quantum_local", "classical_global"):
        values = np.array(curve[key])
        assert values.shape == (len(SIZES),) and np.all(values > 0) and np.all(values <= 1.0 + 1e-9), key
    assert ClassicalNet(curve["classical_layers"]).num_weights == 8
