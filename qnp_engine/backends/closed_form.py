"""Closed-form backend: Bell-diagonal 4-vectors while the noise keeps states Bell-diagonal,
4x4 density matrices otherwise (amplitude damping, single-click states). Exact, and the default
for speed: a Bell-diagonal swap is 16 multiplications, a density-matrix swap one 64x256 product.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qnp_engine.backends.base import StateBackend, sample_index
from qnp_engine.backends.bell_index import BELL_VECTORS, correlation_flip

_PROJECTORS = np.einsum("ik,jk->kij", BELL_VECTORS, BELL_VECTORS.conj())  # |b_k><b_k|, shape (4,4,4)

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SDG = np.diag([1, -1j])
# Unitaries that rotate the measurement basis onto Z: X -> H, Y -> H S^dagger.
_ROT = {"Z": np.eye(2, dtype=complex), "X": _H, "Y": _H @ _SDG}


class ClosedFormState:
    """Either ``bd`` (Bell-diagonal probabilities) or ``dm`` (4x4 density matrix) is set."""

    __slots__ = ("bd", "dm")

    def __init__(self, bd: tuple[float, float, float, float] | None = None, dm: np.ndarray | None = None):
        self.bd = bd
        self.dm = dm

    def to_dm(self) -> np.ndarray:
        if self.dm is not None:
            return self.dm
        return np.einsum("k,kij->ij", np.asarray(self.bd, dtype=float), _PROJECTORS)


def _permute(rho: np.ndarray) -> np.ndarray:
    """Exchange the two qubits of a 4x4 density matrix."""
    return rho.reshape(2, 2, 2, 2).transpose(1, 0, 3, 2).reshape(4, 4)


class ClosedFormBackend(StateBackend):
    name = "closed-form"
    target = "numpy"

    def __init__(self) -> None:
        self._swap = _build_swap_matrix().real.copy()
        self._readout = _build_readout_maps()

    # -- creation ---------------------------------------------------------------------------
    def create_bell_diagonal(self, probabilities: Sequence[float]) -> ClosedFormState:
        p = tuple(float(x) for x in probabilities)
        return ClosedFormState(p, None)  # type: ignore[arg-type]

    def create_density_matrix(self, rho: np.ndarray) -> ClosedFormState:
        return ClosedFormState(dm=np.array(rho, dtype=complex))

    # -- noise ------------------------------------------------------------------------------
    def decohere(self, state: ClosedFormState, qubit: int, gamma: float, p_z: float, p_dep: float) -> ClosedFormState:
        if state.bd is not None and gamma == 0.0:
            l0, l1, l2, l3 = state.bd
            if p_z:
                # A Z error on either qubit flips the z bit of the Bell index: k -> k ^ 2.
                q = 1.0 - p_z
                l0, l1, l2, l3 = q * l0 + p_z * l2, q * l1 + p_z * l3, q * l2 + p_z * l0, q * l3 + p_z * l1
            if p_dep:
                q = 1.0 - p_dep
                s = p_dep / 4.0
                l0, l1, l2, l3 = q * l0 + s, q * l1 + s, q * l2 + s, q * l3 + s
            return ClosedFormState((l0, l1, l2, l3), None)
        # On a density matrix, split by the decohering qubit's row/column bit: diagonal blocks
        # D0 (0,0) and D1 (1,1) mix linearly, off-diagonal blocks O only shrink. Amplitude damping
        # (gamma), phase flip (p_z) and depolarising (p_dep), applied in that order, give
        #   D0' = (1-p)(D0 + gamma D1) + p (D0 + D1)/2,  D1' = (1-p)(1-gamma) D1 + p (D0 + D1)/2,
        #   O'  = (1-p)(1-2 p_z) sqrt(1-gamma) O.
        i0, i1, io = _BLOCKS[qubit]
        r = state.to_dm().reshape(16)
        d0, d1 = r[i0], r[i1]
        q, h = 1.0 - p_dep, p_dep / 2.0
        out = np.empty(16, dtype=complex)
        out[i0] = (q + h) * d0 + (q * gamma + h) * d1
        out[i1] = h * d0 + (q * (1.0 - gamma) + h) * d1
        out[io] = (q * (1.0 - 2.0 * p_z) * np.sqrt(1.0 - gamma)) * r[io]
        return ClosedFormState(dm=out.reshape(4, 4))

    # -- swap -------------------------------------------------------------------------------
    def swap(self, s1: ClosedFormState, q1: int, s2: ClosedFormState, q2: int, u: float) -> tuple[int, ClosedFormState]:
        if s1.bd is not None and s2.bd is not None:
            # Bell-diagonal inputs: every outcome has probability 1/4 and the joined state is the
            # XOR-convolution of the two index distributions (R1, R2).
            m = min(int(u * 4.0), 3)
            a0, a1, a2, a3 = s1.bd
            b = s2.bd
            c0, c1, c2, c3 = b[m], b[m ^ 1], b[m ^ 2], b[m ^ 3]  # c[j] = b[j ^ m]
            # out[k] = sum_i a[i] c[i ^ k], written out: this is the engine's hottest line
            out = ClosedFormState((
                a0 * c0 + a1 * c1 + a2 * c2 + a3 * c3,
                a0 * c1 + a1 * c0 + a2 * c3 + a3 * c2,
                a0 * c2 + a1 * c3 + a2 * c0 + a3 * c1,
                a0 * c3 + a1 * c2 + a2 * c1 + a3 * c0,
            ), None)
            return m, out
        r1 = s1.to_dm()
        r2 = s2.to_dm()
        if q1 == 0:
            r1 = _permute(r1)
        if q2 == 1:
            r2 = _permute(r2)
        v = np.outer(r1.reshape(-1), r2.reshape(-1)).reshape(-1)
        # The swap map is real; two real products avoid complex BLAS calls, which some OpenBLAS
        # builds run thousands of times slower on small operands.
        joined = (self._swap @ v.real + 1j * (self._swap @ v.imag)).reshape(4, 4, 4)
        probs = np.real(np.einsum("mii->m", joined)).clip(min=0.0)
        m = sample_index(probs, u)
        return m, ClosedFormState(dm=joined[m] / probs[m])

    # -- read-out ---------------------------------------------------------------------------
    def outcome_probabilities(self, state: ClosedFormState, bases: tuple[str, str]) -> list[float]:
        """P(o0, o1) in the order 00, 01, 10, 11."""
        if state.bd is not None:
            if bases[0] != bases[1]:
                return [0.25] * 4
            equal = sum(p for k, p in enumerate(state.bd) if correlation_flip(k, bases[0]) == 0)
            return [equal / 2, (1 - equal) / 2, (1 - equal) / 2, equal / 2]
        re_map, im_map = self._readout[bases]
        flat = state.dm.reshape(-1)
        return [max(float(x), 0.0) for x in re_map @ flat.real + im_map @ flat.imag]

    def measure(self, state: ClosedFormState, bases: tuple[str, str], u: float) -> tuple[int, int]:
        k = sample_index(self.outcome_probabilities(state, bases), u)
        return k >> 1, k & 1

    def fidelity(self, state: ClosedFormState, bell_index: int) -> float:
        if state.bd is not None:
            return state.bd[bell_index]
        v = _BELL_REAL[:, bell_index]  # real vectors: <v|rho|v> = v . Re(rho) . v
        return float(v @ state.dm.real @ v)

    def density_matrix(self, state: ClosedFormState) -> np.ndarray:
        return state.to_dm()


_BELL_REAL = BELL_VECTORS.real.copy()


def _block_indices(qubit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat indices of rho[i, j] (i, j in 0..3) whose ``qubit`` bits are (0,0), (1,1) and unequal."""
    shift = 1 - qubit  # qubit 0 is the left (most significant) bit
    d0, d1, off = [], [], []
    for i in range(4):
        for j in range(4):
            bi, bj = (i >> shift) & 1, (j >> shift) & 1
            (d0 if (bi, bj) == (0, 0) else d1 if (bi, bj) == (1, 1) else off).append(4 * i + j)
    return np.array(d0), np.array(d1), np.array(off)


_BLOCKS = (_block_indices(0), _block_indices(1))


@lru_cache(maxsize=1)
def _build_readout_maps() -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """For each basis pair, real maps from vec(Re rho), vec(Im rho) to outcome probabilities:
    p_i = sum_jk U_ij conj(U_ik) rho_jk with U the basis rotation."""
    maps = {}
    for b0 in "XYZ":
        for b1 in "XYZ":
            u = np.kron(_ROT[b0], _ROT[b1])
            w = np.einsum("ij,ik->ijk", u, u.conj()).reshape(4, 16)
            maps[(b0, b1)] = (w.real.copy(), -w.imag.copy())
    return maps


@lru_cache(maxsize=1)
def _build_swap_matrix() -> np.ndarray:
    """(64 x 256) matrix: rows (m, a, d, x, y), columns (rho1[a,b,x,e], rho2[c,d,f,y]) with
    out[m, a, d, x, y] = sum conj(bell[m,b,c]) bell[m,e,f] rho1[a,b,x,e] rho2[c,d,f,y]."""
    bell = BELL_VECTORS.T.reshape(4, 2, 2)  # bell[m, b, c] = <bc|beta_m>
    eye = np.eye(2)
    mat = np.einsum("mbc,mef,aA,xX,dD,yY->madxyAbXecDfY", bell.conj(), bell, eye, eye, eye, eye)
    return mat.reshape(64, 256)
