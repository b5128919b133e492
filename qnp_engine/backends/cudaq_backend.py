"""CUDA-Q backend (backends layer): every state operation is a CUDA-Q kernel run.

Two-qubit states are carried between operations as numpy density matrices (big-endian, like
``bell_index.py``) and handed to each kernel with ``cudaq.State.from_data``; the kernel's output
(``cudaq.get_state``) becomes the next state. Measurements are exact: outcome probabilities are
read from the rotated state the circuit produces and sampled with the caller's uniform ``u``
(inverse CDF, fixed outcome order), so this engine draws the same outcomes as the closed form.

Targets:
* ``density-matrix-cpu`` (default without a GPU): noise is CUDA-Q's Kraus channels
  (``AmplitudeDampingChannel``, ``PhaseFlipChannel``, ``DepolarizationChannel``, ``Pauli1``)
  applied with ``apply_noise`` under a noise model;
* ``qpp-cpu``, ``nvidia`` (fp32), ``nvidia-fp64`` (default with a GPU): state-vector simulators,
  which would only *sample* Kraus channels; the channels run as unitary dilations on environment
  qubits instead and the carried state is purified onto two ancillas, so results stay exact
  (8 qubits at most). ``qpp-cpu`` runs this GPU code path on any machine.

The target is chosen with ``CudaqBackend(target=...)``, else the ``QNP_CUDAQ_TARGET`` environment
variable, else ``auto``. CUDA-Q's target and noise model are process-global; each operation
re-activates its own, so several backends (and the QNN code) can share a process.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

with warnings.catch_warnings():
    # cudaq 0.16 warns on import that sample/observe will change and that cudaq-logical is a preview.
    warnings.simplefilter("ignore")
    import cudaq

from qnp_engine.backends import circuit_math as cm
from qnp_engine.backends import cudaq_kernels as kernels
from qnp_engine.backends.base import BASES, BackendUnavailable, StateBackend, sample_index

TARGET_ENV = "QNP_CUDAQ_TARGET"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    name: str  # what ``.target`` reports
    cudaq_target: str
    option: str | None  # ``set_target(..., option=...)``
    mode: str  # "dm": exact density matrices with Kraus noise; "sv": state vector + dilated channels


TARGETS: dict[str, TargetSpec] = {
    spec.name: spec
    for spec in (
        TargetSpec("density-matrix-cpu", "density-matrix-cpu", None, "dm"),
        TargetSpec("qpp-cpu", "qpp-cpu", None, "sv"),
        TargetSpec("nvidia", "nvidia", "fp32", "sv"),
        TargetSpec("nvidia-fp64", "nvidia", "fp64", "sv"),
    )
}

# The noise model must outlive every kernel run: CUDA-Q keeps only a pointer to it (a temporary
# passed to ``set_noise`` is freed and the next ``apply_noise`` crashes or "is not registered").
_NOISE_MODEL = cudaq.NoiseModel()
_active: list[TargetSpec | None] = [None]


def resolve_target(target: str | None) -> TargetSpec:
    """``auto``: ``nvidia-fp64`` when CUDA-Q sees a GPU, else ``density-matrix-cpu``."""
    name = target or os.environ.get(TARGET_ENV) or "auto"
    if name == "auto":
        name = "nvidia-fp64" if cudaq.num_available_gpus() > 0 else "density-matrix-cpu"
    try:
        spec = TARGETS[name]
    except KeyError:
        choices = ", ".join(TARGETS)
        raise ValueError(f"target: unknown CUDA-Q target {name!r}; choose auto or one of {choices}") from None
    if spec.cudaq_target == "nvidia" and cudaq.num_available_gpus() == 0:
        raise BackendUnavailable(f"CUDA-Q target {name!r} needs an NVIDIA GPU; none is visible here (use auto)")
    return spec


def _activate(spec: TargetSpec) -> None:
    """Make ``spec`` CUDA-Q's current target, with our noise model on a density-matrix target.

    Called before every ``from_data`` and kernel run (``from_data`` reads the current target to
    decide between a state vector and a density matrix); it only acts after a target change.
    """
    if _active[0] == spec and cudaq.get_target().name == spec.cudaq_target:
        return
    if spec.option:
        cudaq.set_target(spec.cudaq_target, option=spec.option)
    else:
        cudaq.set_target(spec.cudaq_target)
    with warnings.catch_warnings():
        # 0.16 deprecates set_noise for sample/observe launch options, but get_state has no such
        # option yet: the process-wide model is the only way to give its kernels Kraus channels.
        warnings.simplefilter("ignore", DeprecationWarning)
        if spec.mode == "dm":
            cudaq.set_noise(_NOISE_MODEL)  # apply_noise needs a model, even an empty one
        else:
            cudaq.unset_noise()  # channels are dilated by hand; nothing may be sampled
    _active[0] = spec


def state_to_numpy(state: cudaq.State, via_amplitudes: bool | None = None) -> np.ndarray:
    """Copy a CUDA-Q state to host memory (density matrix or state vector, little-endian).

    A GPU state is read amplitude by amplitude in one ``amplitudes`` call (small registers only);
    ``via_amplitudes=True`` forces that path so it can be tested on a CPU target.
    """
    if via_amplitudes if via_amplitudes is not None else state.is_on_gpu():
        n = state.num_qubits()
        basis = [[(i >> q) & 1 for q in range(n)] for i in range(2**n)]
        return np.array(state.amplitudes(basis), dtype=complex)
    return np.array(state, dtype=complex, copy=True)


def _bell_projector(bell_index: int, qa: int, qb: int) -> cudaq.SpinOperator:
    """|beta_k><beta_k| = (II + (-1)^z XX - (-1)^(x^z) YY + (-1)^x ZZ) / 4."""
    x, z = bell_index & 1, bell_index >> 1
    sx, sy, sz = (-1) ** z, -((-1) ** (x ^ z)), (-1) ** x
    s = cudaq.spin
    op = s.i(qa) * s.i(qb) + sx * s.x(qa) * s.x(qb) + sy * s.y(qa) * s.y(qb) + sz * s.z(qa) * s.z(qb)
    return 0.25 * op


class CudaqState:
    """A two-qubit state: its 4x4 density matrix as the last kernel left it (big-endian)."""

    __slots__ = ("rho",)

    def __init__(self, rho: np.ndarray):
        self.rho = rho


class CudaqBackend(StateBackend):
    name = "cudaq"

    def __init__(self, target: str | None = None) -> None:
        spec = resolve_target(target)
        try:
            _activate(spec)
        except RuntimeError as exc:  # e.g. "CUDA driver version is insufficient"
            if (target or os.environ.get(TARGET_ENV) or "auto") != "auto":
                raise BackendUnavailable(f"CUDA-Q target {spec.name!r} could not start here: {exc}") from None
            spec = TARGETS["density-matrix-cpu"]  # auto saw a GPU it cannot use: stay on the CPU
            _activate(spec)
        self.spec = spec
        self.target = spec.name
        self._dm = self.spec.mode == "dm"
        self._dtype = np.complex64 if self.spec.option == "fp32" else np.complex128
        # Register of the fidelity read-out: the pair itself (dm) or the pair plus two ancillas (sv).
        qa, qb = (1, 0) if self._dm else (3, 2)
        self._projectors = [_bell_projector(k, qa, qb) for k in range(4)]

    # -- running kernels ----------------------------------------------------------------------
    def _from(self, data: np.ndarray) -> cudaq.State:
        _activate(self.spec)
        return cudaq.State.from_data(np.ascontiguousarray(data, dtype=self._dtype))

    def _run(self, kernel, *args) -> np.ndarray:
        _activate(self.spec)
        return state_to_numpy(cudaq.get_state(kernel, *args))

    def _input(self, rho: np.ndarray, extra_qubits: int = 0) -> cudaq.State:
        """The carried state as kernel input: itself (dm), or a purification plus |0> qubits (sv)."""
        if self._dm:
            return self._from(rho)
        psi = cm.purify(rho)
        if extra_qubits:
            psi = np.kron(psi, np.eye(2**extra_qubits)[0])
        return self._from(psi)

    def _reduce(self, out: np.ndarray, n: int, keep: Sequence[int], fixed: dict[int, int] | None = None):
        if self._dm:
            return cm.reduce_matrix(out, n, keep, fixed)
        return cm.reduce_vector(out, n, keep, fixed)

    def _probabilities(self, out: np.ndarray, n: int, positions: Sequence[int]) -> list[float]:
        diagonal = np.diagonal(out) if self._dm else np.abs(out) ** 2
        return cm.marginal_probabilities(diagonal, n, positions)

    # -- creation -----------------------------------------------------------------------------
    def create_bell_diagonal(self, probabilities: Sequence[float]) -> CudaqState:
        p = np.clip(np.asarray(probabilities, dtype=float), 0.0, None)
        p = p / p.sum()
        if self._dm:
            # Pauli1 takes (p_X, p_Y, p_Z): X gives Psi+ (index 1), Z gives Phi- (2), Y ~ XZ gives Psi- (3).
            rho = self._run(kernels.bell_pauli_dm, 1, 0, float(p[1]), float(p[3]), float(p[2]))
            return CudaqState(rho)
        # Positions (s0, s1, ez, ex) -> CUDA-Q qubits (3, 2, 1, 0).
        out = self._run(kernels.bell_pauli_sv, 3, 2, 1, 0, *cm.pauli_mix_angles(p))
        return CudaqState(self._reduce(out, 4, (0, 1))[1])

    def create_density_matrix(self, rho: np.ndarray) -> CudaqState:
        rho = np.asarray(rho, dtype=complex)
        if rho.shape != (4, 4):
            raise ValueError(f"density matrix must be 4x4, got shape {rho.shape}")
        out = self._run(kernels.load, self._input(rho))
        return CudaqState(out if self._dm else self._reduce(out, 4, (0, 1))[1])

    # -- noise --------------------------------------------------------------------------------
    def decohere(self, state: CudaqState, qubit: int, gamma: float, p_z: float, p_dep: float) -> CudaqState:
        if self._dm:
            # CUDA-Q's DepolarizationChannel(p) applies each Pauli with p/3; ours applies each with p/4.
            s = cm.sim_qubit(qubit, 2)
            return CudaqState(self._run(kernels.decohere_dm, self._input(state.rho), s, gamma, p_z, 0.75 * p_dep))
        # Positions: s0 s1 a0 a1 | e_ad e_pf ez ex  ->  CUDA-Q qubit 7 - position.
        angles = (cm.ry_angle(gamma), cm.ry_angle(p_z), *cm.pauli_mix_angles(cm.depolarizing_as_pauli(p_dep)))
        out = self._run(kernels.decohere_sv, self._input(state.rho, 4), cm.sim_qubit(qubit, 8), 3, 2, 1, 0, *angles)
        return CudaqState(self._reduce(out, 8, (0, 1))[1])

    # -- swap ---------------------------------------------------------------------------------
    def swap(self, s1: CudaqState, q1: int, s2: CudaqState, q2: int, u: float) -> tuple[int, CudaqState]:
        if self._dm:
            n, width, joint = 4, 2, self._from(np.kron(s1.rho, s2.rho))
        else:
            n, width = 8, 4  # each pair brings its two purifying ancillas
            joint = self._from(np.kron(cm.purify(s1.rho), cm.purify(s2.rho)))
        a, b = q1, width + q2
        out = self._run(kernels.bell_rotation, joint, cm.sim_qubit(a, n), cm.sim_qubit(b, n))
        # After the rotation qubit a holds z and b holds x: outcome order 2z + x is the Bell index.
        m = sample_index(self._probabilities(out, n, (a, b)), u)
        _, joined = self._reduce(out, n, (1 - q1, width + 1 - q2), {a: m >> 1, b: m & 1})
        return m, CudaqState(joined)

    # -- read-out -----------------------------------------------------------------------------
    def outcome_probabilities(self, state: CudaqState, bases: tuple[str, str]) -> list[float]:
        """P(o0, o1) in the order 00, 01, 10, 11, from the basis-rotated state."""
        for b in bases:
            if b not in BASES:
                raise ValueError(f"basis must be one of {', '.join(BASES)}, got {b!r}")
        n = 2 if self._dm else 4
        codes = (cm.sim_qubit(0, n), cm.BASIS_CODES[bases[0]], cm.sim_qubit(1, n), cm.BASIS_CODES[bases[1]])
        out = self._run(kernels.basis_rotation, self._input(state.rho), *codes)
        return self._probabilities(out, n, (0, 1))

    def measure(self, state: CudaqState, bases: tuple[str, str], u: float) -> tuple[int, int]:
        k = sample_index(self.outcome_probabilities(state, bases), u)
        return k >> 1, k & 1

    def fidelity(self, state: CudaqState, bell_index: int) -> float:
        _activate(self.spec)
        result = cudaq.observe(kernels.load, self._projectors[bell_index], self._input(state.rho))
        return float(result.expectation())

    def density_matrix(self, state: CudaqState) -> np.ndarray:
        return state.rho.astype(complex, copy=True)
