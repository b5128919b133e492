"""Exact parameter-shift Jacobians: equal to finite differences and to Qiskit ML's own gradients."""

from __future__ import annotations

import numpy as np
import pytest

from qnp_engine.qnn.circuit import build_circuit, readout_spec
from qnp_engine.qnn.config import QnnConfig

pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not installed")

from qnp_engine.qnn.qiskit_engine import QiskitEngine  # noqa: E402

RNG = np.random.default_rng(5)
MODELS = {
    "observable": (dict(qubits=3, feature_map="zz", ansatz="hardware_efficient", reps=1, dataset="iris"), 3),
    "sampler": (dict(qubits=2, feature_map="angle", reupload=True, ansatz="real_amplitudes", reps=2,
                     readout="sampler"), 2),
    "multiclass-sampler": (dict(qubits=2, feature_map="angle", ansatz="hardware_efficient", reps=1,
                                dataset="iris", readout="sampler"), 3),
}


def model(name: str):
    options, classes = MODELS[name]
    cfg = QnnConfig.model_validate(options)
    c = build_circuit(cfg, 2)
    return c, readout_spec(cfg, classes)


def central_differences(engine, xs: np.ndarray, ws: np.ndarray, h: float = 1e-5) -> np.ndarray:
    cols = []
    for j in range(len(ws)):
        step = np.zeros_like(ws)
        step[j] = h
        cols.append((engine.forward(xs, ws + step) - engine.forward(xs, ws - step)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("name", list(MODELS))
def test_parameter_shift_equals_finite_differences(cudaq, name: str) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine

    c, spec = model(name)
    engine = CudaqEngine(c, spec)
    xs, ws = RNG.uniform(0, np.pi, (3, 2)), RNG.uniform(-np.pi, np.pi, c.num_weights)
    outputs, jac = engine.jacobian(xs, ws)
    assert jac.shape == (3, spec.num_outputs, c.num_weights)
    assert np.allclose(outputs, engine.forward(xs, ws), atol=1e-14)
    assert np.abs(jac).max() > 0.05  # not trivially zero
    assert np.allclose(jac, central_differences(engine, xs, ws), atol=1e-8)


@pytest.mark.parametrize("name", list(MODELS))
def test_parameter_shift_equals_qiskit_ml_library_gradient(cudaq, name: str) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine

    c, spec = model(name)
    xs, ws = RNG.uniform(0, np.pi, (3, 2)), RNG.uniform(-np.pi, np.pi, c.num_weights)
    _, ours = CudaqEngine(c, spec).jacobian(xs, ws)
    # Qiskit ML's EstimatorQNN / SamplerQNN with the library ParamShift*Gradient on reference primitives.
    library = QiskitEngine(c, spec, reference=True, gradient="library")
    _, theirs = library.jacobian(xs, ws)
    assert np.allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("name", ["observable", "sampler"])
def test_batched_qiskit_gradient_equals_library_gradient(name: str) -> None:
    c, spec = model(name)
    xs, ws = RNG.uniform(0, np.pi, (4, 2)), RNG.uniform(-np.pi, np.pi, c.num_weights)
    _, library = QiskitEngine(c, spec, reference=True, gradient="library").jacobian(xs, ws)
    _, batched = QiskitEngine(c, spec, reference=True, gradient="batched").jacobian(xs, ws)
    assert np.allclose(batched, library, atol=1e-12)
    if spec.kind.value == "observable":
        _, aer = QiskitEngine(c, spec, reference=False, gradient="batched").jacobian(xs, ws)
        assert np.allclose(aer, library, atol=1e-12)


def test_batched_gradient_rejects_circuits_it_cannot_shift() -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    from qnp_engine.qnn.qiskit_gradients import check_shiftable

    a = Parameter("a")
    twice = QuantumCircuit(1)
    twice.ry(a, 0)
    twice.rz(a, 0)
    with pytest.raises(ValueError, match="exactly once"):
        check_shiftable(twice, [a])
    scaled = QuantumCircuit(1)
    scaled.ry(2 * a, 0)
    with pytest.raises(ValueError, match="plain angle"):
        check_shiftable(scaled, [a])
