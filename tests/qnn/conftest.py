"""Shared settings for the QNN tests: single-threaded simulators and the small configurations they train.

Every model here is tiny (1-4 qubits, a few dozen samples) so the folder stays within its time
budget on two cores; the engines are exact, so comparisons use tight tolerances.
"""

from __future__ import annotations

import os

# Small circuits gain nothing from OpenMP threads, and spinning threads slow a shared machine down.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture
def cudaq():
    return pytest.importorskip("cudaq", reason="CUDA-Q is not installed here (pip install 'qnp-studio[cudaq]')")


@pytest.fixture
def qiskit_ml():
    return pytest.importorskip("qiskit_machine_learning", reason="qiskit-machine-learning is not installed "
                               "(pip install 'qnp-studio[qnn]')")
