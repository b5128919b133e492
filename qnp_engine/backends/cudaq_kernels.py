"""CUDA-Q kernels of the CUDA-Q backend (backends layer).

Kernels must live in a real .py file because ``@cudaq.kernel`` reads their source. Qubit indices
are runtime arguments: the backend lays out the register and passes CUDA-Q qubit numbers. Two
families exist:

* density-matrix kernels (``density-matrix-cpu``): noise is ``cudaq.apply_noise`` with CUDA-Q's
  Kraus channels, which the simulator applies exactly to the density matrix;
* state-vector kernels (``qpp-cpu``, ``nvidia``): the same channels written as their unitary
  dilations on environment qubits (Stinespring form), so a state-vector simulator computes the
  exact channel instead of sampling trajectories; the backend traces the environment out.

Angles ``t*`` are ``ry`` angles with sin^2(t/2) = probability of the branch they open.
"""

from __future__ import annotations

import cudaq

# -- shared: loading a carried state, Bell-measurement and read-out rotations --------------------


@cudaq.kernel
def load(st: cudaq.State):
    """Identity circuit on a carried state (used for fidelity read-out with ``observe``)."""
    q = cudaq.qvector(st)  # noqa: F841 (the allocation is the whole kernel)


@cudaq.kernel
def bell_rotation(st: cudaq.State, a: int, b: int):
    """Rotate the Bell basis of qubits (a, b) onto the computational basis: |beta_{x+2z}> -> |z>_a |x>_b."""
    q = cudaq.qvector(st)
    x.ctrl(q[a], q[b])  # noqa: F821 (CUDA-Q builtins inside kernels)
    h(q[a])  # noqa: F821


@cudaq.kernel
def basis_rotation(st: cudaq.State, qa: int, basis_a: int, qb: int, basis_b: int):
    """Rotate the measurement bases onto Z: 0 = Z, 1 = X (H), 2 = Y (S^dagger then H)."""
    q = cudaq.qvector(st)
    if basis_a == 2:
        sdg(q[qa])  # noqa: F821
    if basis_a > 0:
        h(q[qa])  # noqa: F821
    if basis_b == 2:
        sdg(q[qb])  # noqa: F821
    if basis_b > 0:
        h(q[qb])  # noqa: F821


# -- density-matrix target: Kraus channels from the noise model ------------------------------------


@cudaq.kernel
def bell_pauli_dm(s0: int, s1: int, p_x: float, p_y: float, p_z: float):
    """|Phi+> on (s0, s1), then a Pauli channel on s0: X -> Psi+, Z -> Phi-, Y (= i XZ) -> Psi-."""
    q = cudaq.qvector(2)
    h(q[s0])  # noqa: F821
    x.ctrl(q[s0], q[s1])  # noqa: F821
    cudaq.apply_noise(cudaq.Pauli1, p_x, p_y, p_z, q[s0])


@cudaq.kernel
def decohere_dm(st: cudaq.State, s: int, gamma: float, p_z: float, p_dep: float):
    """Amplitude damping, then phase flip, then depolarising (CUDA-Q's p: p/3 per Pauli) on qubit s."""
    q = cudaq.qvector(st)
    if gamma > 0.0:
        cudaq.apply_noise(cudaq.AmplitudeDampingChannel, gamma, q[s])
    if p_z > 0.0:
        cudaq.apply_noise(cudaq.PhaseFlipChannel, p_z, q[s])
    if p_dep > 0.0:
        cudaq.apply_noise(cudaq.DepolarizationChannel, p_dep, q[s])


# -- state-vector targets: the same channels as unitary dilations ---------------------------------


@cudaq.kernel
def bell_pauli_sv(s0: int, s1: int, ez: int, ex: int, t_z: float, t_x0: float, t_x1: float):
    """|Phi+> on (s0, s1) with a Pauli channel on s0, purified by the environment pair (ez, ex).

    Pauli mix: (ez, ex) get amplitudes sqrt(p_{x+2z}) (ry on ez, then ry on ex controlled by ez
    being 0 or 1), then Z^z X^x acts on s0.
    """
    q = cudaq.qvector(4)
    h(q[s0])  # noqa: F821
    x.ctrl(q[s0], q[s1])  # noqa: F821
    ry(t_z, q[ez])  # noqa: F821
    x(q[ez])  # noqa: F821
    ry.ctrl(t_x0, q[ez], q[ex])  # noqa: F821
    x(q[ez])  # noqa: F821
    ry.ctrl(t_x1, q[ez], q[ex])  # noqa: F821
    z.ctrl(q[ez], q[s0])  # noqa: F821
    x.ctrl(q[ex], q[s0])  # noqa: F821


@cudaq.kernel
def decohere_sv(
    st: cudaq.State,
    s: int,
    e_ad: int,
    e_pf: int,
    ez: int,
    ex: int,
    t_ad: float,
    t_pf: float,
    t_z: float,
    t_x0: float,
    t_x1: float,
):
    """Amplitude damping (controlled-ry + CNOT back), phase flip (controlled Z), depolarising (Pauli mix).

    A channel with a zero parameter is skipped at run time: each gate costs ~0.1 ms on qpp-cpu.
    """
    q = cudaq.qvector(st)
    if t_ad > 0.0:
        ry.ctrl(t_ad, q[s], q[e_ad])  # noqa: F821
        x.ctrl(q[e_ad], q[s])  # noqa: F821
    if t_pf > 0.0:
        ry(t_pf, q[e_pf])  # noqa: F821
        z.ctrl(q[e_pf], q[s])  # noqa: F821
    if t_z > 0.0:
        # Depolarising as the Pauli mix of ``bell_pauli_sv``; P(z = 1) = p/2, so t_z > 0 exactly when p > 0.
        ry(t_z, q[ez])  # noqa: F821
        x(q[ez])  # noqa: F821
        ry.ctrl(t_x0, q[ez], q[ex])  # noqa: F821
        x(q[ez])  # noqa: F821
        ry.ctrl(t_x1, q[ez], q[ex])  # noqa: F821
        z.ctrl(q[ez], q[s])  # noqa: F821
        x.ctrl(q[ex], q[s])  # noqa: F821
