"""Bookkeeping shared by the circuit engines (backends layer): register layouts, purification,
and turning a simulator's output state into the next two-qubit state.

Convention: a register is a list of *positions* 0..n-1 and the numpy matrices here are
big-endian, position 0 being the most significant bit, exactly like ``bell_index.py`` (qubit 0
of a pair is the left factor). CUDA-Q and Qiskit number qubits little-endian (qubit i is bit i of
the index), so position ``p`` of an n-qubit register is simulator qubit ``n - 1 - p`` when a
matrix is handed over unchanged (``sim_qubit``), or the matrix is reversed (``reverse_qubits``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

BASIS_CODES = {"Z": 0, "X": 1, "Y": 2}


def sim_qubit(position: int, n: int) -> int:
    """Little-endian simulator qubit holding big-endian ``position`` of an n-qubit register."""
    return n - 1 - position


def reverse_qubits(matrix: np.ndarray, n: int) -> np.ndarray:
    """Reverse the qubit order of a 2^n density matrix (big-endian <-> little-endian)."""
    axes = list(range(n))[::-1]
    t = matrix.reshape((2,) * (2 * n)).transpose(axes + [n + a for a in axes])
    return t.reshape(2**n, 2**n)


def ry_angle(p: float) -> float:
    """Angle t with sin^2(t/2) = p, so ``ry(t)|0>`` puts probability p on |1>."""
    return 2.0 * math.asin(math.sqrt(min(max(p, 0.0), 1.0)))


def pauli_mix_angles(p: Sequence[float]) -> tuple[float, float, float]:
    """Angles (t_z, t_x0, t_x1) preparing amplitudes sqrt(p_{x+2z}) on the environment pair (z, x)."""
    p0, p1, p2, p3 = (max(float(v), 0.0) for v in p)
    total = p0 + p1 + p2 + p3
    p0, p1, p2, p3 = p0 / total, p1 / total, p2 / total, p3 / total
    z1 = p2 + p3
    t_x0 = ry_angle(p1 / (p0 + p1)) if p0 + p1 > 0.0 else 0.0
    t_x1 = ry_angle(p3 / z1) if z1 > 0.0 else 0.0
    return ry_angle(z1), t_x0, t_x1


def depolarizing_as_pauli(p_dep: float) -> tuple[float, float, float, float]:
    """rho -> (1-p) rho + p I/2 tr(rho) is the Pauli channel (1 - 3p/4, p/4, p/4, p/4)."""
    return (1.0 - 0.75 * p_dep, p_dep / 4.0, p_dep / 4.0, p_dep / 4.0)


def purify(rho: np.ndarray) -> np.ndarray:
    """State vector on positions (s0, s1, a0, a1) whose reduced state on (s0, s1) is ``rho``."""
    evals, evecs = np.linalg.eigh((rho + rho.conj().T) / 2.0)
    weights = np.sqrt(np.clip(evals, 0.0, None))
    # psi[s, a] = sqrt(lambda_a) <s|e_a>: column a of the eigenvector matrix, scaled.
    return (evecs * weights[np.newaxis, :]).reshape(-1)


def reduce_matrix(
    rho: np.ndarray, n: int, keep: Sequence[int], fixed: dict[int, int] | None = None
) -> tuple[float, np.ndarray]:
    """Project ``fixed`` positions onto the given bits, trace out the rest except ``keep``.

    Returns (probability of the fixed bits, normalised density matrix on ``keep`` in that order).
    """
    fixed = fixed or {}
    t = rho.reshape((2,) * (2 * n))
    index: list[object] = [slice(None)] * (2 * n)
    for pos, bit in fixed.items():
        index[pos] = bit
        index[n + pos] = bit
    t = t[tuple(index)]
    free = [p for p in range(n) if p not in fixed]  # remaining axes, rows then columns
    m = len(free)
    traced = [p for p in free if p not in keep]
    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = {p: letters[i] for i, p in enumerate(free)}
    cols = {p: (rows[p] if p in traced else letters[m + i]) for i, p in enumerate(free)}
    spec = "".join(rows[p] for p in free) + "".join(cols[p] for p in free)
    out = "".join(rows[p] for p in keep) + "".join(cols[p] for p in keep)
    red = np.einsum(f"{spec}->{out}", t).reshape(2 ** len(keep), 2 ** len(keep))
    prob = float(np.real(np.trace(red)))
    return prob, (red / prob if prob > 0.0 else red)


def reduce_vector(
    psi: np.ndarray, n: int, keep: Sequence[int], fixed: dict[int, int] | None = None
) -> tuple[float, np.ndarray]:
    """Same as ``reduce_matrix`` for a pure state vector (the environment is traced out)."""
    fixed = fixed or {}
    t = psi.reshape((2,) * n)
    index: list[object] = [slice(None)] * n
    for pos, bit in fixed.items():
        index[pos] = bit
    t = t[tuple(index)]
    free = [p for p in range(n) if p not in fixed]
    order = [free.index(p) for p in keep] + [i for i, p in enumerate(free) if p not in keep]
    mat = t.transpose(order).reshape(2 ** len(keep), -1)
    red = mat @ mat.conj().T
    prob = float(np.real(np.trace(red)))
    return prob, (red / prob if prob > 0.0 else red)


def marginal_probabilities(diagonal: np.ndarray, n: int, positions: Sequence[int]) -> list[float]:
    """P(bits at ``positions``) from a big-endian probability vector, outcomes in binary order.

    After ``bell_rotation`` on (a, b) the bits are (z, x), so ``positions=(a, b)`` lists the Bell
    outcomes m = 2z + x = 0..3 in index order.
    """
    t = np.real(np.asarray(diagonal)).reshape((2,) * n)
    others = tuple(p for p in range(n) if p not in positions)
    marg = t.sum(axis=others) if others else t
    # ``sum`` keeps the remaining axes in ascending position order; reorder to ``positions``.
    ordered = sorted(positions)
    marg = marg.transpose([ordered.index(p) for p in positions])
    return [max(float(v), 0.0) for v in marg.reshape(-1)]

