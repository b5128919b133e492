"""CUDA-Q specifics: target choice and reporting, the GPU read-out path, the missing-package path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qnp_engine.backends import BackendUnavailable, make_backend
from tests.engines.engine_helpers import CUDAQ_REASON, make_engine


def test_missing_cudaq_is_reported_with_the_install_hint(monkeypatch):
    """Simulate a platform without cudaq wheels: the registry turns the ImportError into a clear message."""
    for module in ("qnp_engine.backends.cudaq_backend", "qnp_engine.backends.cudaq_kernels"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(sys.modules, "cudaq", None)  # makes ``import cudaq`` raise ImportError
    with pytest.raises(BackendUnavailable) as info:
        make_backend("cudaq")
    message = str(info.value)
    assert "engine 'cudaq' is not available here" in message
    assert "pip install 'qnp-studio[cudaq]'" in message
    assert "cudaq" in message.split(":", 1)[1]  # the import error itself is named


def test_closed_form_and_qiskit_stay_available_without_cudaq(monkeypatch):
    monkeypatch.setitem(sys.modules, "cudaq", None)
    assert make_backend("closed-form").name == "closed-form"
    assert make_backend("qiskit").name == "qiskit"


@pytest.fixture
def cudaq_backend_module():
    pytest.importorskip("cudaq", reason=CUDAQ_REASON)
    from qnp_engine.backends import cudaq_backend

    return cudaq_backend


def test_target_is_reported(cudaq_backend_module):
    backend = make_backend("cudaq", target="density-matrix-cpu")
    assert backend.target == "density-matrix-cpu"
    assert backend.describe() == "cudaq (density-matrix-cpu)"
    assert make_backend("cudaq", target="qpp-cpu").target == "qpp-cpu"


def test_target_choice(cudaq_backend_module, monkeypatch):
    m = cudaq_backend_module
    monkeypatch.delenv(m.TARGET_ENV, raising=False)
    gpu = m.cudaq.num_available_gpus() > 0
    assert m.resolve_target(None).name == ("nvidia-fp64" if gpu else "density-matrix-cpu")
    monkeypatch.setenv(m.TARGET_ENV, "qpp-cpu")
    assert m.resolve_target(None).name == "qpp-cpu"
    assert m.resolve_target("density-matrix-cpu").name == "density-matrix-cpu"  # the argument wins
    with pytest.raises(ValueError, match="unknown CUDA-Q target 'tensornet'"):
        m.resolve_target("tensornet")  # aborts the process on CPU-only hosts: never passed to set_target
    if not gpu:
        with pytest.raises(BackendUnavailable, match="needs an NVIDIA GPU"):
            m.resolve_target("nvidia")


def test_gpu_read_out_path_matches(cudaq_backend_module):
    """``amplitudes`` (used for states held on a GPU) returns the same vector as the host copy."""
    m = cudaq_backend_module
    backend = m.CudaqBackend(target="qpp-cpu")
    rng = np.random.default_rng(5)
    psi = rng.normal(size=16) + 1j * rng.normal(size=16)
    psi /= np.linalg.norm(psi)
    state = m.cudaq.get_state(m.kernels.bell_rotation, backend._from(psi), 2, 1)
    np.testing.assert_allclose(m.state_to_numpy(state, via_amplitudes=True), m.state_to_numpy(state), atol=1e-14)


def test_interleaved_targets_stay_exact(cudaq_backend_module):
    """Two CUDA-Q backends on different targets in one process: each op re-activates its target."""
    dm, sv, closed = make_engine("cudaq-dm"), make_engine("cudaq-sv"), make_engine("closed-form")
    a, b, c = dm.werner(0.9), sv.werner(0.9), closed.werner(0.9)
    for step in range(3):
        a, b, c = (x.decohere(s, step % 2, 0.05, 0.02, 0.01) for x, s in ((dm, a), (sv, b), (closed, c)))
    np.testing.assert_allclose(dm.density_matrix(a), closed.density_matrix(c), atol=1e-12)
    np.testing.assert_allclose(sv.density_matrix(b), closed.density_matrix(c), atol=1e-12)


def test_bad_input_is_named(cudaq_backend_module):
    backend = make_engine("cudaq-dm")
    with pytest.raises(ValueError, match="4x4"):
        backend.create_density_matrix(np.eye(2))
    with pytest.raises(ValueError, match="basis must be one of"):
        backend.measure(backend.werner(0.9), ("Z", "W"), 0.5)


def test_auto_falls_back_when_a_gpu_cannot_start(cudaq_backend_module):
    """A GPU that CUDA-Q counts but cannot use (old driver): auto stays on the CPU, an explicit GPU
    target says why. Run in a subprocess: GPU targets may abort the process on some installs."""
    if cudaq_backend_module.cudaq.num_available_gpus() > 0:
        pytest.skip("a usable GPU is present; the fallback cannot be provoked here")
    code = (
        "from qnp_engine.backends import cudaq_backend as m\n"
        "m.cudaq.num_available_gpus = lambda: 1\n"
        "b = m.CudaqBackend()\n"
        "print(b.target, round(b.fidelity(b.werner(0.9), 0), 12))\n"
        "try:\n"
        "    m.CudaqBackend('nvidia-fp64')\n"
        "except m.BackendUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    env = {**os.environ, "QNP_CUDAQ_TARGET": "", "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "density-matrix-cpu 0.9"
    assert lines[1].startswith("unavailable: CUDA-Q target 'nvidia-fp64' could not start here")
