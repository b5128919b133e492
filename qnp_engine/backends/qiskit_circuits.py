"""The circuit of each state operation, for Qiskit-Aer and for export (backends layer).

An ``OperationCircuit`` is a plain description (registers, starting density matrix, gate and
channel steps, the qubits a device would measure). It becomes either the Aer circuit that the
Qiskit backend runs (``set_density_matrix``, gates, noise as Kraus instructions,
``save_density_matrix``) or a display circuit that OpenQASM can carry: the starting state and the
noise channels are not unitary, so they appear as opaque gates that a comment block explains.
Qubit ``i`` of the Qiskit circuit is position ``i`` of the big-endian matrices of ``circuit_math``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm2, qasm3
from qiskit.circuit import Gate
from qiskit.quantum_info import Kraus

from qnp_engine.backends.circuit_math import reverse_qubits

GATES = ("h", "cx", "sdg")
INITIAL_STATE = "load_density_matrix"
CHANNEL_TEXT = {
    "amplitude_damping": "amplitude_damping(gamma): Kraus {|0><0| + sqrt(1-gamma)|1><1|, sqrt(gamma)|0><1|}",
    "phase_flip": "phase_flip(p): Kraus {sqrt(1-p) I, sqrt(p) Z}",
    "depolarizing": "depolarizing(p): rho -> (1-p) rho + p I/2",
    "pauli_channel": "pauli_channel(px, py, pz): Kraus {sqrt(1-px-py-pz) I, sqrt(px) X, sqrt(py) Y, sqrt(pz) Z}",
    INITIAL_STATE: f"{INITIAL_STATE}: prepares the register's density matrix (OperationCircuit.initial_state)",
}


@dataclass(frozen=True, slots=True)
class Step:
    """A gate of ``GATES`` or a channel of ``CHANNEL_TEXT`` on the given qubits."""

    name: str
    qubits: tuple[int, ...]
    params: tuple[float, ...] = ()


_I2 = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1.0, -1.0]).astype(complex)


def _pauli_kraus(p_i: float, p_x: float, p_y: float, p_z: float) -> list[np.ndarray]:
    return [np.sqrt(max(w, 0.0)) * m for w, m in ((p_i, _I2), (p_x, _X), (p_y, _Y), (p_z, _Z)) if w > 0.0]


def kraus_operators(step: Step) -> list[np.ndarray]:
    """The channel's Kraus operators (the text of ``CHANNEL_TEXT``), zero-weight ones left out."""
    if step.name == "amplitude_damping":
        g = step.params[0]
        keep = np.array([[1, 0], [0, np.sqrt(1 - g)]], dtype=complex)
        decay = np.array([[0, np.sqrt(g)], [0, 0]], dtype=complex)
        return [keep, decay] if g > 0.0 else [keep]
    if step.name == "phase_flip":
        return _pauli_kraus(1.0 - step.params[0], 0.0, 0.0, step.params[0])
    if step.name == "depolarizing":
        p = step.params[0]
        return _pauli_kraus(1.0 - 0.75 * p, p / 4, p / 4, p / 4)
    if step.name == "pauli_channel":
        px, py, pz = step.params
        return _pauli_kraus(1.0 - px - py - pz, px, py, pz)
    raise ValueError(f"unknown channel {step.name!r}")


@dataclass(frozen=True)
class OperationCircuit:
    operation: str
    registers: tuple[tuple[str, int], ...]
    steps: tuple[Step, ...]
    initial_state: np.ndarray | None = field(default=None, repr=False)  # big-endian, all qubits
    measured: tuple[int, ...] = ()

    @property
    def num_qubits(self) -> int:
        return sum(size for _, size in self.registers)

    def _empty(self) -> QuantumCircuit:
        return QuantumCircuit(*(QuantumRegister(size, name) for name, size in self.registers), name=self.operation)

    def aer_circuit(self) -> QuantumCircuit:
        """What the backend runs: exact channels, and the final density matrix saved as ``rho``."""
        qc = self._empty()
        if self.initial_state is not None:
            qc.set_density_matrix(reverse_qubits(self.initial_state, self.num_qubits))
        for step in self.steps:
            if step.name in GATES:
                getattr(qc, step.name)(*step.params, *step.qubits)
            else:
                # A quantum_info.Kraus operation: Aer applies it exactly to the density matrix.
                qc.append(Kraus(kraus_operators(step)), list(step.qubits))
        qc.save_density_matrix(label="rho")
        return qc

    def circuit(self) -> QuantumCircuit:
        """Display/export form: opaque gates for the state and the channels, then the measurements."""
        qc = self._empty()
        if self.initial_state is not None:
            qc.append(Gate(INITIAL_STATE, self.num_qubits, []), list(range(self.num_qubits)))
        for step in self.steps:
            if step.name in GATES:
                getattr(qc, step.name)(*step.params, *step.qubits)
            else:
                qc.append(Gate(step.name, len(step.qubits), list(step.params)), list(step.qubits))
        if self.measured:
            creg = ClassicalRegister(len(self.measured), "m")
            qc.add_register(creg)
            qc.measure(list(self.measured), list(creg))
        return qc

    def opaque_names(self) -> list[str]:
        names = [INITIAL_STATE] if self.initial_state is not None else []
        names += [s.name for s in self.steps if s.name not in GATES and s.name not in names]
        return names

    def qasm(self, version: int = 3) -> str:
        """OpenQASM 2 or 3 text; non-unitary steps are opaque gates explained in a comment header."""
        qc = self.circuit()
        opaque = self.opaque_names()
        if version == 2:
            text = qasm2.dumps(qc)
        elif version == 3:
            text = qasm3.dumps(qc, basis_gates=("U", *opaque))
        else:
            raise ValueError(f"version: OpenQASM version must be 2 or 3, got {version!r}")
        lines = text.splitlines()
        head = [i for i, line in enumerate(lines) if line.startswith(("OPENQASM", "include"))]
        at = head[-1] + 1 if head else 0
        notes = [f"// QNP Studio operation: {self.operation}"]
        notes += [f"// non-unitary, opaque here: {CHANNEL_TEXT[name]}" for name in opaque]
        return "\n".join(lines[:at] + notes + lines[at:]) + "\n"


# -- the operations ---------------------------------------------------------------------------

PAIR = (("pair", 2),)
TWO_PAIRS = (("left", 2), ("right", 2))


def bell_diagonal(p: np.ndarray) -> OperationCircuit:
    """|Phi+> then a Pauli channel on qubit 0: X -> Psi+ (index 1), Z -> Phi- (2), Y ~ XZ -> Psi- (3)."""
    channel = Step("pauli_channel", (0,), (float(p[1]), float(p[3]), float(p[2])))
    return OperationCircuit("create_bell_diagonal", PAIR, (Step("h", (0,)), Step("cx", (0, 1)), channel))


def load(rho: np.ndarray) -> OperationCircuit:
    return OperationCircuit("create_density_matrix", PAIR, (), initial_state=rho)


def decohere(rho: np.ndarray, qubit: int, gamma: float, p_z: float, p_dep: float) -> OperationCircuit:
    """Amplitude damping, phase flip, depolarising; channels with a zero parameter are left out."""
    params = (("amplitude_damping", gamma), ("phase_flip", p_z), ("depolarizing", p_dep))
    steps = tuple(Step(name, (qubit,), (float(v),)) for name, v in params if v > 0.0)
    return OperationCircuit("decohere", PAIR, steps, initial_state=rho)


def bell_measurement(r1: np.ndarray, q1: int, r2: np.ndarray, q2: int) -> OperationCircuit:
    """CNOT then H on (left[q1], right[q2]): the measured bits are (z, x) of the Bell index x + 2z."""
    a, b = q1, 2 + q2
    steps = (Step("cx", (a, b)), Step("h", (a,)))
    return OperationCircuit("swap", TWO_PAIRS, steps, initial_state=np.kron(r1, r2), measured=(a, b))


def basis_measurement(rho: np.ndarray, bases: tuple[str, str]) -> OperationCircuit:
    """Rotate each qubit's basis onto Z (X: H; Y: S^dagger then H) and measure both."""
    steps: list[Step] = []
    for qubit, basis in enumerate(bases):
        if basis == "Y":
            steps.append(Step("sdg", (qubit,)))
        if basis in ("X", "Y"):
            steps.append(Step("h", (qubit,)))
    return OperationCircuit("measure", PAIR, tuple(steps), initial_state=rho, measured=(0, 1))


def bell_fidelities(rho: np.ndarray) -> OperationCircuit:
    """Bell-basis read-out of one pair: P(z, x) is the fidelity to Bell state x + 2z."""
    steps = (Step("cx", (0, 1)), Step("h", (0,)))
    return OperationCircuit("fidelity", PAIR, steps, initial_state=rho, measured=(0, 1))
