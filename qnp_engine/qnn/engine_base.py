"""What a QNN engine provides (layer: qnn): model outputs and their exact weight Jacobian.

Training, losses and optimisers live above this interface and are shared by every engine, so the
same seed, data and initial weights give the same loss curve whatever simulator runs the circuits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from qnp_engine.qnn.circuit import Circuit, ReadoutSpec

SHIFT = np.pi / 2  # two-term parameter-shift rule for exp(-i theta P / 2) rotations


class QnnEngine(ABC):
    """Evaluates one circuit + read-out for batches of inputs at given weights."""

    name = "engine"

    def __init__(self, circuit: Circuit, readout: ReadoutSpec, shots: int | None = None, seed: int = 1):
        self.circuit = circuit
        self.readout = readout
        self.shots = shots
        self.seed = seed
        self.circuit_evaluations = 0  # (circuit, parameter set) executions, gradient circuits included

    @property
    def target(self) -> str:
        return ""

    @abstractmethod
    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Outputs (N, K): expectation values (observable) or class probabilities (sampler)."""

    @abstractmethod
    def jacobian(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outputs (N, K) and d outputs / d weights (N, K, P), exact (parameter shift)."""


class ZStringEngine(QnnEngine):
    """An engine built on one primitive: Z-string expectations for many angle sets at once.

    Forward and parameter-shift Jacobian are both a single batched call: the Jacobian packs the
    (1 + 2P) shifted angle sets of every input into one request.
    """

    @abstractmethod
    def zstring_values(self, angles: np.ndarray) -> np.ndarray:
        """(S, gates) angle sets -> (S, len(readout.zstrings)) expectation values."""

    def _angles(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=float)
        if w.shape != (self.circuit.num_weights,):
            raise ValueError(f"expected {self.circuit.num_weights} weights, got shape {w.shape}")
        base = self.circuit.input_angles(x)
        base[:, self.circuit.weight_gates] += w
        return base

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        z = self.zstring_values(self._angles(x, w))
        return self.readout.combine(z)

    def jacobian(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        base = self._angles(x, w)
        n, m = base.shape
        p = self.circuit.num_weights
        gates = self.circuit.weight_gates
        sets = np.repeat(base[:, None, :], 1 + 2 * p, axis=1)  # (N, 1 + 2P, gates)
        idx = np.arange(p)
        sets[:, 1 + idx, gates] += SHIFT
        sets[:, 1 + p + idx, gates] -= SHIFT
        z = self.zstring_values(sets.reshape(n * (1 + 2 * p), m)).reshape(n, 1 + 2 * p, -1)
        outputs = self.readout.combine(z[:, 0])
        dz = (z[:, 1:1 + p] - z[:, 1 + p:]) / 2  # (N, P, Z)
        # combine() is affine in z: its derivative is combine(dz) - combine(0).
        jac = self.readout.combine(dz) - self.readout.combine(np.zeros_like(dz))
        return outputs, np.transpose(jac, (0, 2, 1))
