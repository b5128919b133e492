"""Shared helpers of the engine tests: the engines under test, created once per session."""

from __future__ import annotations

import numpy as np
import pytest

CUDAQ_REASON = "cudaq is not importable here (pip install 'qnp-studio[cudaq]'); CUDA-Q checks skipped"
# qiskit: Aer density matrix; cudaq-dm: density-matrix-cpu; cudaq-sv: qpp-cpu, the code path of the nvidia targets.
ENGINES = ("qiskit", "cudaq-dm", "cudaq-sv")
_cache: dict[str, object] = {}


def make_engine(name: str):
    """Backend for an ENGINES name (or closed-form), created once per session."""
    if name not in _cache:
        if name == "closed-form":
            from qnp_engine.backends.closed_form import ClosedFormBackend

            _cache[name] = ClosedFormBackend()
        elif name == "qiskit":
            from qnp_engine.backends.qiskit_backend import QiskitBackend

            _cache[name] = QiskitBackend()
        else:
            pytest.importorskip("cudaq", reason=CUDAQ_REASON)
            from qnp_engine.backends.cudaq_backend import CudaqBackend

            _cache[name] = CudaqBackend(target="density-matrix-cpu" if name == "cudaq-dm" else "qpp-cpu")
    return _cache[name]


def random_density_matrix(rng: np.random.Generator, rank: int = 4) -> np.ndarray:
    a = rng.normal(size=(4, rank)) + 1j * rng.normal(size=(4, rank))
    rho = a @ a.conj().T
    return rho / np.trace(rho)
