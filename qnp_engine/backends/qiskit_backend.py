"""Qiskit-Aer backend (backends layer): every state operation is a Qiskit circuit run on Aer's
density-matrix method.

States are carried as numpy density matrices (big-endian) and enter each circuit through
``set_density_matrix``; noise is Kraus instructions (``qiskit.quantum_info.Kraus``: amplitude
damping, phase flip, depolarising), the result comes back through ``save_density_matrix``. Outcome
probabilities are read from the rotated state and sampled with the caller's uniform ``u``, so
this engine draws the same outcomes as the closed form. Any operation's circuit can be inspected
and exported: ``backend.circuit_for("swap", s1, 0, s2, 1)`` or ``backend.last_circuit``, then
``.circuit()`` (a ``QuantumCircuit``) or ``.qasm(2 | 3)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit_aer import AerSimulator

from qnp_engine.backends import qiskit_circuits as qc
from qnp_engine.backends.base import BASES, StateBackend, sample_index
from qnp_engine.backends.circuit_math import marginal_probabilities, reduce_matrix, reverse_qubits


class QiskitState:
    """A two-qubit state: its 4x4 density matrix as the last Aer run left it (big-endian)."""

    __slots__ = ("rho",)

    def __init__(self, rho: np.ndarray):
        self.rho = rho


def _matrix(state_or_rho: QiskitState | np.ndarray) -> np.ndarray:
    return state_or_rho.rho if isinstance(state_or_rho, QiskitState) else np.asarray(state_or_rho, dtype=complex)


class QiskitBackend(StateBackend):
    name = "qiskit"

    def __init__(self, device: str = "CPU") -> None:
        # One thread: circuits of 2-4 qubits gain nothing from OpenMP, and spinning threads hurt
        # on a shared machine.
        self._sim = AerSimulator(method="density_matrix", device=device, max_parallel_threads=1)
        self.target = f"aer-density-matrix-{device.lower()}"
        self.last_circuit: qc.OperationCircuit | None = None

    # -- circuits ------------------------------------------------------------------------------
    def circuit_for(self, operation: str, *args) -> qc.OperationCircuit:
        """The circuit an operation would run, with the same arguments as the operation (no ``u``)."""
        builders = {
            "create_bell_diagonal": lambda p: qc.bell_diagonal(_normalised(p)),
            "create_density_matrix": lambda rho: qc.load(_matrix(rho)),
            "decohere": lambda s, q, g, pz, pd: qc.decohere(_matrix(s), q, g, pz, pd),
            "swap": lambda s1, q1, s2, q2, *_: qc.bell_measurement(_matrix(s1), q1, _matrix(s2), q2),
            "measure": lambda s, bases, *_: qc.basis_measurement(_matrix(s), _check_bases(bases)),
            "fidelity": lambda s, *_: qc.bell_fidelities(_matrix(s)),
        }
        try:
            build = builders[operation]
        except KeyError:
            raise ValueError(f"operation: unknown {operation!r}; choose one of {', '.join(builders)}") from None
        return build(*args)

    def _run(self, circuit: qc.OperationCircuit) -> np.ndarray:
        """Run on Aer and return the final density matrix of the whole register (big-endian)."""
        self.last_circuit = circuit
        result = self._sim.run(circuit.aer_circuit(), shots=1).result()
        if not result.success:
            raise RuntimeError(f"Aer failed on {circuit.operation}: {result.status}")
        return reverse_qubits(np.asarray(result.data(0)["rho"]), circuit.num_qubits)

    # -- operations ----------------------------------------------------------------------------
    def create_bell_diagonal(self, probabilities: Sequence[float]) -> QiskitState:
        return QiskitState(self._run(self.circuit_for("create_bell_diagonal", probabilities)))

    def create_density_matrix(self, rho: np.ndarray) -> QiskitState:
        rho = np.asarray(rho, dtype=complex)
        if rho.shape != (4, 4):
            raise ValueError(f"density matrix must be 4x4, got shape {rho.shape}")
        return QiskitState(self._run(qc.load(rho)))

    def decohere(self, state: QiskitState, qubit: int, gamma: float, p_z: float, p_dep: float) -> QiskitState:
        return QiskitState(self._run(qc.decohere(state.rho, qubit, gamma, p_z, p_dep)))

    def swap(self, s1: QiskitState, q1: int, s2: QiskitState, q2: int, u: float) -> tuple[int, QiskitState]:
        circuit = qc.bell_measurement(s1.rho, q1, s2.rho, q2)
        out = self._run(circuit)
        a, b = circuit.measured
        # Qubit a holds z and b holds x after the rotation: outcome order 2z + x is the Bell index.
        m = sample_index(marginal_probabilities(np.diagonal(out), 4, (a, b)), u)
        _, joined = reduce_matrix(out, 4, (1 - q1, 3 - q2), {a: m >> 1, b: m & 1})
        return m, QiskitState(joined)

    def outcome_probabilities(self, state: QiskitState, bases: tuple[str, str]) -> list[float]:
        """P(o0, o1) in the order 00, 01, 10, 11, from the basis-rotated state."""
        out = self._run(qc.basis_measurement(state.rho, _check_bases(bases)))
        return marginal_probabilities(np.diagonal(out), 2, (0, 1))

    def measure(self, state: QiskitState, bases: tuple[str, str], u: float) -> tuple[int, int]:
        k = sample_index(self.outcome_probabilities(state, bases), u)
        return k >> 1, k & 1

    def bell_fidelities(self, state: QiskitState) -> list[float]:
        """Fidelities to the four Bell states, from one Bell-basis read-out circuit."""
        return marginal_probabilities(np.diagonal(self._run(qc.bell_fidelities(state.rho))), 2, (0, 1))

    def fidelity(self, state: QiskitState, bell_index: int) -> float:
        return self.bell_fidelities(state)[bell_index]

    def density_matrix(self, state: QiskitState) -> np.ndarray:
        return state.rho.copy()


def _normalised(probabilities: Sequence[float]) -> np.ndarray:
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
    return p / p.sum()


def _check_bases(bases: tuple[str, str]) -> tuple[str, str]:
    for b in bases:
        if b not in BASES:
            raise ValueError(f"basis must be one of {', '.join(BASES)}, got {b!r}")
    return bases
