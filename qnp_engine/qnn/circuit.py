"""Engine-neutral QNN circuits (layer: qnn): a flat gate list both engines translate.

Every rotation angle is ``const + scale * f(x) + theta[weight]`` where ``f(x)`` is nothing, one
feature ``x_i`` or the ZZ-map product ``(pi - x_i)(pi - x_j)``. Each trainable weight sits in exactly
one rotation with coefficient 1, so the two-term parameter-shift rule (shift pi/2) is exact.
Qubit 0 is the least significant bit, as in Qiskit and CUDA-Q state indexing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from qnp_engine.qnn.config import Ansatz, FeatureMap, Observable, QnnConfig, Readout, Task

ROTATIONS = ("rx", "ry", "rz", "p")
TWO_QUBIT = ("cx", "cz")
# Noise channels: only meaningful on density-matrix simulators.
#   depol (q, p): X, Y, Z each with probability p/3 (CUDA-Q's DepolarizationChannel).
#   reset (q): the deterministic channel |0><0| + |0><1| (not a measurement).
#   noise_cx / noise_cz (a, b, p): the Pauli channel a Werner pair leaves after a teleported
#     CX / CZ: Z on the control, U on the target, or both, each with probability p.
CHANNELS = ("depol", "reset", "noise_cx", "noise_cz")


@dataclass(frozen=True, slots=True)
class Gate:
    op: str
    qubits: tuple[int, ...]
    weight: int = -1  # trainable weight added to the angle, or -1
    feature: tuple[int, ...] = ()  # () none; (i,) -> x_i; (i, j) -> (pi - x_i)(pi - x_j)
    scale: float = 1.0  # multiplies the feature term
    const: float = 0.0  # constant angle, or the channel's probability


@dataclass
class Circuit:
    num_qubits: int
    num_inputs: int
    gates: list[Gate] = field(default_factory=list)
    num_weights: int = 0
    data_qubits: int = 0  # the model's own qubits (0..data_qubits-1); the rest are ancillas

    def add(self, op: str, *qubits: int, weight: int = -1, feature: tuple[int, ...] = (), scale: float = 1.0,
            const: float = 0.0) -> None:
        self.gates.append(Gate(op, tuple(qubits), weight, feature, scale, const))

    def new_weight(self) -> int:
        self.num_weights += 1
        return self.num_weights - 1

    @property
    def is_noisy(self) -> bool:
        return any(g.op in CHANNELS and g.op != "reset" and g.const > 0 for g in self.gates)

    @property
    def weight_gates(self) -> np.ndarray:
        """Index of the gate holding each weight (each weight is in exactly one gate)."""
        out = np.full(self.num_weights, -1, dtype=np.int64)
        for k, g in enumerate(self.gates):
            if g.weight >= 0:
                out[g.weight] = k
        return out

    def input_angles(self, X: np.ndarray) -> np.ndarray:
        """(N, gates) angle contributions of the inputs and constants (weights not included)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out = np.zeros((X.shape[0], len(self.gates)))
        for k, g in enumerate(self.gates):
            out[:, k] = g.const
            if len(g.feature) == 1:
                out[:, k] += g.scale * X[:, g.feature[0]]
            elif len(g.feature) == 2:
                i, j = g.feature
                out[:, k] += g.scale * (math.pi - X[:, i]) * (math.pi - X[:, j])
        return out


# ----------------------------------------------------------------------------------------- builders


def _feature_map(c: Circuit, kind: FeatureMap, reps: int, num_features: int) -> None:
    n = c.data_qubits
    for _ in range(reps):
        if kind is FeatureMap.ANGLE:
            for q in range(n):
                c.add("ry", q, feature=(q % num_features,))
        else:  # Qiskit's zz_feature_map, entanglement "full", alpha 2
            for q in range(n):
                c.add("h", q)
            for q in range(n):
                c.add("p", q, feature=(q % num_features,), scale=2.0)
            for i in range(n):
                for j in range(i + 1, n):
                    c.add("cx", i, j)
                    c.add("p", j, feature=(i % num_features, j % num_features), scale=2.0)
                    c.add("cx", i, j)


def _rotations(c: Circuit, kind: Ansatz) -> None:
    for q in range(c.data_qubits):
        c.add("ry", q, weight=c.new_weight())
    if kind is Ansatz.HARDWARE_EFFICIENT:
        for q in range(c.data_qubits):
            c.add("rz", q, weight=c.new_weight())


def _entangle(c: Circuit, kind: Ansatz) -> None:
    n = c.data_qubits
    if kind is Ansatz.REAL_AMPLITUDES:  # Qiskit's real_amplitudes default: reverse_linear CX chain
        for i in reversed(range(n - 1)):
            c.add("cx", i, i + 1)
    else:  # CX ring (a single CX for two qubits)
        for i in range(n - 1):
            c.add("cx", i, i + 1)
        if n > 2:
            c.add("cx", n - 1, 0)


def build_circuit(cfg: QnnConfig, num_features: int) -> Circuit:
    """Feature map + ansatz of ``cfg`` on ``cfg.qubits`` qubits (no ancillas)."""
    c = Circuit(num_qubits=cfg.qubits, num_inputs=num_features, data_qubits=cfg.qubits)
    fm_reps = cfg.resolved_feature_map_reps
    _feature_map(c, cfg.feature_map, fm_reps, num_features)
    _rotations(c, cfg.ansatz)
    for _ in range(cfg.reps):
        _entangle(c, cfg.ansatz)
        if cfg.reupload:
            _feature_map(c, cfg.feature_map, fm_reps, num_features)
        _rotations(c, cfg.ansatz)
    return c


# ----------------------------------------------------------------------------------------- read-out


@dataclass(frozen=True)
class ReadoutSpec:
    """What the engines measure and how outputs are formed.

    observable: ``paulis[k]`` is the Z-string (qubit tuple) whose expectation is output k.
    sampler: class probabilities; ``interpret(b)`` maps a basis state (an int over the data qubits)
    to its class. Both are computed exactly from Z-string expectations (``zstrings``).
    """

    kind: Readout
    num_outputs: int
    num_qubits: int
    paulis: tuple[tuple[int, ...], ...] = ()
    class_bits: int = 0  # sampler: classes read from the lowest ``class_bits`` qubits (0 = parity)

    def interpret(self, b: int) -> int:
        if self.class_bits == 0:  # parity of the data qubits (ancillas, if any, sit above them)
            return bin(b & ((1 << self.num_qubits) - 1)).count("1") % 2
        return (b & ((1 << self.class_bits) - 1)) % self.num_outputs

    @property
    def zstrings(self) -> tuple[tuple[int, ...], ...]:
        """Every Z-string the engines evaluate (non-empty qubit tuples)."""
        if self.kind is Readout.OBSERVABLE:
            return self.paulis
        if self.class_bits == 0:
            return (tuple(range(self.num_qubits)),)
        bits = self.class_bits
        return tuple(tuple(q for q in range(bits) if s >> q & 1) for s in range(1, 1 << bits))

    def combine(self, z: np.ndarray) -> np.ndarray:
        """Outputs (..., num_outputs) from Z-string expectations (..., len(zstrings)); linear in z."""
        if self.kind is Readout.OBSERVABLE:
            return z
        if self.class_bits == 0:  # parity: p(even) = (1 + <Z...Z>) / 2
            return np.stack([(1 + z[..., 0]) / 2, (1 - z[..., 0]) / 2], axis=-1)
        bits = self.class_bits
        # Walsh-Hadamard: p(b) = 2^-bits * sum_S (-1)^{|b & S|} <Z_S>, with <Z_empty> = 1.
        ones = np.ones(z.shape[:-1] + (1,))
        zz = np.concatenate([ones, z], axis=-1)
        signs = np.array([[(-1) ** bin(b & s).count("1") for s in range(1 << bits)] for b in range(1 << bits)])
        probs = zz @ signs.T / (1 << bits)
        out = np.zeros(z.shape[:-1] + (self.num_outputs,))
        for b in range(1 << bits):
            out[..., b % self.num_outputs] += probs[..., b]
        return out


def readout_spec(cfg: QnnConfig, num_classes: int) -> ReadoutSpec:
    n = cfg.qubits
    task = cfg.resolved_task
    outputs = 1 if task in (Task.BINARY, Task.REGRESSION) else num_classes
    if cfg.readout is Readout.SAMPLER:
        if task is Task.BINARY:
            return ReadoutSpec(Readout.SAMPLER, 2, n, class_bits=0)
        bits = max(1, math.ceil(math.log2(num_classes)))
        if bits > n:
            raise ValueError(f"qubits: {num_classes} classes need at least {bits} qubits")
        return ReadoutSpec(Readout.SAMPLER, num_classes, n, class_bits=bits)
    if cfg.observable is Observable.PARITY:
        return ReadoutSpec(Readout.OBSERVABLE, 1, n, paulis=(tuple(range(n)),))
    if outputs > n:
        raise ValueError(f"qubits: {outputs} classes with observable local need at least {outputs} qubits")
    return ReadoutSpec(Readout.OBSERVABLE, outputs, n, paulis=tuple((k,) for k in range(outputs)))
