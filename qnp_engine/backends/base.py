"""The one interface through which the engine touches quantum states.

Protocol layers hold opaque state objects and never look inside; each backend decides how a
two-qubit state is represented (closed form, CUDA-Q kernels, Qiskit circuits). All randomness
comes from the caller's ``numpy.random.Generator``: every sampled operation draws exactly one
uniform number and inverts the cumulative distribution over outcomes in a fixed order, so engines
that agree on probabilities also agree on outcomes for the same seed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

BASES = ("Z", "X", "Y")


class BackendUnavailable(RuntimeError):
    """The engine's package cannot be imported here; the message says how to install it."""


def sample_index(probabilities: Sequence[float], u: float) -> int:
    """Inverse-CDF sampling with one uniform draw ``u`` in [0, 1)."""
    total = 0.0
    last = len(probabilities) - 1
    norm = float(sum(probabilities))
    for i, p in enumerate(probabilities):
        total += p / norm
        if u < total:
            return i
    return last


class StateBackend(ABC):
    """Two-qubit states of link pairs and of pairs joined by swaps.

    Qubits are numbered 0 and 1 within a pair. ``swap`` measures qubit ``q1`` of ``s1`` and qubit
    ``q2`` of ``s2`` in the Bell basis and returns the outcome (Bell index) and the joined state,
    whose qubit 0 is the remaining qubit of ``s1`` and qubit 1 the remaining qubit of ``s2``.
    """

    name: str = "abstract"
    target: str = ""

    @abstractmethod
    def create_bell_diagonal(self, probabilities: Sequence[float]) -> Any:
        """State sum_k p_k |beta_k><beta_k| (Bell-index encoding of ``bell_index.py``)."""

    @abstractmethod
    def create_density_matrix(self, rho: np.ndarray) -> Any:
        """State with the given 4x4 density matrix (qubit 0 is the left factor)."""

    @abstractmethod
    def decohere(self, state: Any, qubit: int, gamma: float, p_z: float, p_dep: float) -> Any:
        """Amplitude damping (gamma), then phase flip (p_z), then depolarising (p_dep) on one qubit."""

    @abstractmethod
    def swap(self, s1: Any, q1: int, s2: Any, q2: int, u: float) -> tuple[int, Any]:
        """Bell-state measurement across two pairs (entanglement swap)."""

    @abstractmethod
    def measure(self, state: Any, bases: tuple[str, str], u: float) -> tuple[int, int]:
        """Measure both qubits in the given bases (Z, X or Y); outcomes 0/1 for eigenvalues +1/-1."""

    @abstractmethod
    def fidelity(self, state: Any, bell_index: int) -> float:
        """<beta_k| rho |beta_k>."""

    @abstractmethod
    def density_matrix(self, state: Any) -> np.ndarray:
        """The 4x4 density matrix, for cross-validation and export."""

    def werner(self, fidelity: float, bell_index: int = 0) -> Any:
        probs = [(1.0 - fidelity) / 3.0] * 4
        probs[bell_index] = fidelity
        return self.create_bell_diagonal(probs)

    def describe(self) -> str:
        return f"{self.name} ({self.target})" if self.target else self.name
