"""The engine-neutral circuit: equal to Qiskit's library circuits, and both engines compute it exactly."""

from __future__ import annotations

import numpy as np
import pytest

from qnp_engine.qnn.circuit import Circuit, _feature_map, build_circuit, readout_spec
from qnp_engine.qnn.config import FeatureMap, QnnConfig

pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not installed")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit.library import real_amplitudes, zz_feature_map  # noqa: E402
from qiskit.quantum_info import Operator, Statevector  # noqa: E402

from qnp_engine.qnn.qiskit_engine import QiskitEngine, to_qiskit  # noqa: E402

RNG = np.random.default_rng(11)


def bound(qc: QuantumCircuit, x, theta, xs: np.ndarray, ws: np.ndarray) -> QuantumCircuit:
    values = {**dict(zip(x, xs, strict=True)), **dict(zip(theta, ws, strict=True))}
    return qc.assign_parameters({p: values[p] for p in qc.parameters})


@pytest.mark.parametrize("n", [2, 3])
def test_zz_feature_map_equals_qiskit(n: int) -> None:
    c = Circuit(num_qubits=n, num_inputs=n, data_qubits=n)
    _feature_map(c, FeatureMap.ZZ, 2, n)
    qc, x, theta = to_qiskit(c)
    xs = RNG.uniform(0, np.pi, n)
    ref = zz_feature_map(n, reps=2)
    ref = ref.assign_parameters(dict(zip(ref.parameters, xs, strict=True)))
    assert Operator(bound(qc, x, theta, xs, [])).equiv(Operator(ref))


@pytest.mark.parametrize("reps", [1, 3])
def test_real_amplitudes_equals_qiskit(reps: int) -> None:
    n = 3
    cfg = QnnConfig(qubits=n, reps=reps, ansatz="real_amplitudes")
    c = build_circuit(cfg, 2)
    ansatz_only = Circuit(num_qubits=n, num_inputs=2, num_weights=c.num_weights, data_qubits=n,
                          gates=[g for g in c.gates if not g.feature])
    qc, x, theta = to_qiskit(ansatz_only)
    ws = RNG.uniform(-np.pi, np.pi, c.num_weights)
    ref = real_amplitudes(n, reps=reps)
    ref = ref.assign_parameters(dict(zip(ref.parameters, ws, strict=True)))
    assert Operator(bound(qc, x, theta, [0.0, 0.0], ws)).equiv(Operator(ref))


def exact_outputs(cfg: QnnConfig, xs: np.ndarray, ws: np.ndarray, num_classes: int) -> np.ndarray:
    """Outputs computed directly from the Statevector, independent of both engines."""
    c = build_circuit(cfg, xs.shape[1])
    spec = readout_spec(cfg, num_classes)
    qc, x, theta = to_qiskit(c)
    rows = []
    for xi in xs:
        probs = Statevector(bound(qc, x, theta, xi, ws)).probabilities()
        if spec.kind.value == "observable":
            rows.append([sum(p * (-1) ** sum(b >> q & 1 for q in qs) for b, p in enumerate(probs))
                         for qs in spec.paulis])
        else:
            out = np.zeros(spec.num_outputs)
            for b, p in enumerate(probs):
                out[spec.interpret(b)] += p
            rows.append(out)
    return np.array(rows)


CASES = [
    (dict(qubits=3, feature_map="zz", ansatz="hardware_efficient", reps=1, dataset="iris", readout="observable"), 3),
    (dict(qubits=3, feature_map="angle", reupload=True, ansatz="real_amplitudes", reps=2, observable="parity"), 2),
    (dict(qubits=3, feature_map="angle", ansatz="hardware_efficient", reps=2, dataset="iris", readout="sampler"), 3),
    (dict(qubits=2, feature_map="zz", ansatz="real_amplitudes", reps=2, readout="sampler"), 2),
]


@pytest.mark.parametrize(("options", "classes"), CASES)
def test_engines_compute_the_exact_outputs(cudaq, options: dict, classes: int) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine

    cfg = QnnConfig.model_validate(options)
    xs = RNG.uniform(0, np.pi, (4, min(cfg.qubits, 3)))
    c = build_circuit(cfg, xs.shape[1])
    ws = RNG.uniform(-np.pi, np.pi, c.num_weights)
    spec = readout_spec(cfg, classes)
    want = exact_outputs(cfg, xs, ws, classes)
    assert np.allclose(CudaqEngine(c, spec).forward(xs, ws), want, atol=1e-12)
    assert np.allclose(QiskitEngine(c, spec, reference=True).forward(xs, ws), want, atol=1e-12)
    if cfg.readout.value == "observable":
        assert np.allclose(QiskitEngine(c, spec).forward(xs, ws), want, atol=1e-12)


@pytest.mark.parametrize("noisy", [False, True])
def test_fast_launch_equals_public_observe(cudaq, noisy: bool) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine
    from qnp_engine.qnn.distributed import Placement, with_channel

    cfg = QnnConfig(qubits=3, feature_map="zz", ansatz="hardware_efficient", reps=2 - noisy)
    c = build_circuit(cfg, 2)
    if noisy:  # density-matrix-cpu with noise channels
        c = with_channel(c, Placement(["A", "B"], [0, 0, 1]), 0.9)
    engine = CudaqEngine(c, readout_spec(cfg, 2))
    assert engine.target == ("density-matrix-cpu" if noisy else "qpp-cpu")
    xs, ws = RNG.uniform(0, np.pi, (3 if noisy else 5, 2)), RNG.uniform(-3, 3, c.num_weights)
    fast = engine.jacobian(xs, ws)
    engine.launch = "public"
    public = engine.jacobian(xs, ws)
    assert np.array_equal(fast[0], public[0]) and np.array_equal(fast[1], public[1])


@pytest.mark.parametrize("readout", ["observable", "sampler"])
def test_shots_estimate_within_five_sigma_and_repeat_with_the_seed(cudaq, readout: str) -> None:
    from qnp_engine.qnn.cudaq_engine import CudaqEngine

    cfg = QnnConfig(qubits=2, feature_map="angle", ansatz="hardware_efficient", reps=1, readout=readout)
    c, spec = build_circuit(cfg, 2), readout_spec(cfg, 2)
    xs, ws = RNG.uniform(0, np.pi, (6, 2)), RNG.uniform(-3, 3, c.num_weights)
    exact = CudaqEngine(c, spec).forward(xs, ws)
    shots = 4000
    engines = [CudaqEngine(c, spec, shots=shots, seed=7), QiskitEngine(c, spec, shots=shots, seed=7)]
    for engine in engines:
        est = engine.forward(xs, ws)
        if readout == "observable" and isinstance(engine, QiskitEngine):
            sigma = np.full_like(exact, 1 / np.sqrt(shots))  # Aer's estimator adds N(0, 1/sqrt(shots))
        elif readout == "observable":  # <Z> from +-1 outcomes: variance 1 - <Z>^2
            sigma = np.sqrt(np.clip(1 - exact**2, 1e-6, None) / shots)
        else:  # a probability: variance p (1 - p)
            sigma = np.sqrt(np.clip(exact * (1 - exact), 1e-6, None) / shots)
        assert np.all(np.abs(est - exact) < 5 * sigma), type(engine).__name__
        assert not np.allclose(est, exact, atol=1e-9)  # really sampled
    again = QiskitEngine(c, spec, shots=shots, seed=7).forward(xs, ws)
    assert np.array_equal(again, engines[1].forward(xs, ws))
