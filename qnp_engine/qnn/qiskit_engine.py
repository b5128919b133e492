"""Qiskit engine (layer: qnn): the same circuit as qiskit-machine-learning's EstimatorQNN / SamplerQNN.

``qiskit`` runs them on Aer's V2 primitives (state vector, or density matrix when the circuit
carries noise channels); ``qiskit-reference`` on qiskit-ml's reference primitives (QMLEstimator /
QMLSampler, exact Statevector). The backward pass uses our batched parameter shift by default, or
the library's own ``ParamShift*Gradient`` (one PUB per shifted set) with ``gradient="library"``.
"""

from __future__ import annotations

import math

import numpy as np

from qnp_engine.qnn.circuit import Circuit, Gate, ReadoutSpec
from qnp_engine.qnn.config import Readout
from qnp_engine.qnn.engine_base import QnnEngine


def _angle(g: Gate, x, theta):
    """The gate's angle as a float or ParameterExpression; a weight-only angle is the Parameter itself."""
    if g.weight >= 0 and not g.feature and g.const == 0.0:
        return theta[g.weight]
    expr = g.const
    if len(g.feature) == 1:
        expr = expr + g.scale * x[g.feature[0]]
    elif len(g.feature) == 2:
        i, j = g.feature
        expr = expr + g.scale * (math.pi - x[i]) * (math.pi - x[j])
    if g.weight >= 0:
        expr = expr + theta[g.weight]
    return expr


def _pauli_channel(terms: list[tuple[str, float]]):
    from qiskit_aer.noise import pauli_error

    return pauli_error([(label, p) for label, p in terms if p > 0] or [("I" * len(terms[0][0]), 1.0)])


def to_qiskit(circuit: Circuit):
    """(QuantumCircuit, input ParameterVector, weight ParameterVector) of an engine-neutral circuit."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    qc = QuantumCircuit(circuit.num_qubits)
    x = ParameterVector("x", circuit.num_inputs)
    theta = ParameterVector("theta", circuit.num_weights)
    for g in circuit.gates:
        q = g.qubits
        if g.op in ("h", "x"):
            getattr(qc, g.op)(q[0])
        elif g.op in ("rx", "ry", "rz", "p"):
            getattr(qc, g.op)(_angle(g, x, theta), q[0])
        elif g.op in ("cx", "cz"):
            getattr(qc, g.op)(q[0], q[1])
        elif g.op == "reset":
            qc.reset(q[0])  # Aer's density-matrix method applies reset as the channel
        elif g.op == "depol":
            p = g.const
            qc.append(_pauli_channel([("I", 1 - p), ("X", p / 3), ("Y", p / 3), ("Z", p / 3)]), [q[0]])
        elif g.op in ("noise_cx", "noise_cz"):
            # Qiskit labels are little-endian: with qargs [control, target] the right letter is the control.
            u = "X" if g.op == "noise_cx" else "Z"
            p = g.const
            qc.append(_pauli_channel([("II", 1 - 3 * p), ("IZ", p), (u + "I", p), (u + "Z", p)]), [q[0], q[1]])
        else:
            raise ValueError(f"gate {g.op} has no Qiskit form")
    return qc, x, theta


def zstring_operator(qubits: tuple[int, ...], num_qubits: int):
    from qiskit.quantum_info import SparsePauliOp

    return SparsePauliOp.from_sparse_list([("Z" * len(qubits), list(qubits), 1.0)], num_qubits=num_qubits)


class QiskitEngine(QnnEngine):
    """EstimatorQNN (observable read-out) or SamplerQNN (sampler read-out) on Aer or reference primitives."""

    def __init__(self, circuit: Circuit, readout: ReadoutSpec, reference: bool = False, gradient: str = "batched",
                 shots: int | None = None, seed: int = 1):
        super().__init__(circuit, readout, shots, seed)
        from qiskit_machine_learning.neural_networks import EstimatorQNN, SamplerQNN

        self.reference = reference
        self.name = "qiskit-reference" if reference else "qiskit"
        noisy = circuit.is_noisy or any(g.op == "reset" for g in circuit.gates)
        if noisy and reference:
            raise ValueError("engine: qiskit-reference primitives are noiseless; noisy pairs need engine qiskit "
                             "(Aer density matrix) or cudaq")
        self._method = "density_matrix" if noisy else "statevector"
        qc, x, theta = to_qiskit(circuit)
        if gradient == "batched":
            from qnp_engine.qnn.qiskit_gradients import check_shiftable

            check_shiftable(qc, list(theta))
        precision = 0.0 if shots is None else 1.0 / math.sqrt(shots)
        if readout.kind is Readout.OBSERVABLE:
            est = self._estimator(precision)
            grad = self._gradient(gradient, est, sampler=False)
            observables = [zstring_operator(qs, circuit.num_qubits) for qs in readout.paulis]
            self.qnn = EstimatorQNN(circuit=qc, estimator=est, observables=observables, input_params=list(x),
                                    weight_params=list(theta), gradient=grad, default_precision=precision)
        else:
            sampler = self._sampler()
            grad = self._gradient(gradient, sampler, sampler=True)
            self.qnn = SamplerQNN(circuit=qc, sampler=sampler, input_params=list(x), weight_params=list(theta),
                                  interpret=readout.interpret, output_shape=readout.num_outputs, gradient=grad)

    @property
    def target(self) -> str:
        return "statevector (reference)" if self.reference else f"aer {self._method}"

    def _estimator(self, precision: float):
        if self.reference:
            from qiskit_machine_learning.primitives import QMLEstimator

            return QMLEstimator() if self.shots is None else QMLEstimator(default_precision=precision, seed=self.seed)
        from qiskit_aer.primitives import EstimatorV2

        # With precision > 0 Aer adds N(0, precision) noise drawn from run_options' seed_simulator.
        return EstimatorV2(options={"default_precision": precision, "backend_options": {"method": self._method},
                                    "run_options": {"seed_simulator": self.seed}})

    def _sampler(self):
        if self.reference:
            from qiskit_machine_learning.primitives import QMLSampler

            return QMLSampler(shots=self.shots, seed=self.seed) if self.shots else QMLSampler()
        from qiskit_aer.primitives import SamplerV2

        options = {"backend_options": {"method": self._method}}
        return SamplerV2(default_shots=self.shots, seed=self.seed, options=options)

    def _gradient(self, kind: str, primitive, sampler: bool):
        from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient, ParamShiftSamplerGradient

        from qnp_engine.qnn.qiskit_gradients import (
            BatchedParamShiftEstimatorGradient,
            BatchedParamShiftSamplerGradient,
        )

        if kind == "library":
            return ParamShiftSamplerGradient(primitive) if sampler else ParamShiftEstimatorGradient(primitive)
        return BatchedParamShiftSamplerGradient(primitive) if sampler else BatchedParamShiftEstimatorGradient(primitive)

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        self.circuit_evaluations += len(x) * len(self.readout.zstrings if self.readout.kind is Readout.OBSERVABLE
                                                 else (0,))
        return np.asarray(self.qnn.forward(x, np.asarray(w, dtype=float)))

    def jacobian(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.atleast_2d(np.asarray(x, dtype=float))
        outputs = self.forward(x, w)
        _, jac = self.qnn.backward(x, np.asarray(w, dtype=float))
        per_output = len(self.readout.paulis) if self.readout.kind is Readout.OBSERVABLE else 1
        self.circuit_evaluations += len(x) * 2 * self.circuit.num_weights * per_output
        return outputs, np.asarray(jac)
