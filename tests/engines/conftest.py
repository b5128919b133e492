"""Fixtures for the engine cross-validation tests.

``engine`` runs a test on every circuit engine (Qiskit-Aer, CUDA-Q density-matrix-cpu and CUDA-Q
qpp-cpu, which executes the state-vector code path used on ``nvidia`` GPUs); the CUDA-Q ones are
skipped with the reason where cudaq cannot be imported.
"""

from __future__ import annotations

import os

# Small circuits gain nothing from OpenMP threads, and spinning threads slow a shared machine down.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

from tests.engines.engine_helpers import ENGINES, make_engine  # noqa: E402


@pytest.fixture(params=ENGINES)
def engine(request):
    return make_engine(request.param)


@pytest.fixture(scope="session")
def closed():
    return make_engine("closed-form")
