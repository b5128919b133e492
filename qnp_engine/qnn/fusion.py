"""Gate fusion for the CUDA-Q engine (layer: qnn): runs of single-qubit gates become one u3.

A circuit simulator pays a fixed cost per applied gate (on ``qpp-cpu`` several microseconds for a
2-qubit register, more than the arithmetic), so every maximal run of single-qubit gates on a qubit
is multiplied out in numpy, for all parameter sets at once, and applied as one
``u3(theta, phi, lambda)`` (Qiskit's U gate; equal up to a global phase, which no expectation value
sees). Two-qubit gates and noise channels stay as they are and end the runs on their qubits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnp_engine.qnn.circuit import Circuit

SINGLE = ("h", "x", "rx", "ry", "rz", "p")
_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)


@dataclass(frozen=True)
class FusedRow:
    op: str  # "u3", a two-qubit gate or a channel
    qubits: tuple[int, ...]
    gates: tuple[int, ...]  # indices of the circuit gates this row applies (in order)


def fuse(circuit: Circuit) -> list[FusedRow]:
    rows: list[FusedRow] = []
    pending: dict[int, list[int]] = {}

    def flush(q: int) -> None:
        if pending.get(q):
            rows.append(FusedRow("u3", (q,), tuple(pending.pop(q))))

    for k, g in enumerate(circuit.gates):
        if g.op in SINGLE:
            pending.setdefault(g.qubits[0], []).append(k)
            continue
        for q in g.qubits:
            flush(q)
        rows.append(FusedRow(g.op, g.qubits, (k,)))
    for q in sorted(pending):
        flush(q)
    return rows


def gate_matrices(op: str, t: np.ndarray) -> np.ndarray:
    """(S, 2, 2) matrices of one single-qubit gate for S angles."""
    s = np.empty((len(t), 2, 2), dtype=complex)
    if op in ("h", "x"):
        s[:] = _H if op == "h" else _X
        return s
    c, n = np.cos(t / 2), np.sin(t / 2)
    if op == "rx":
        s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1] = c, -1j * n, -1j * n, c
    elif op == "ry":
        s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1] = c, -n, n, c
    elif op == "rz":
        s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1] = np.exp(-0.5j * t), 0, 0, np.exp(0.5j * t)
    elif op == "p":
        s[:, 0, 0], s[:, 0, 1], s[:, 1, 0], s[:, 1, 1] = 1, 0, 0, np.exp(1j * t)
    else:
        raise ValueError(f"{op} is not a single-qubit gate")
    return s


def u3_angles(u: np.ndarray) -> np.ndarray:
    """(S, 3) angles (theta, phi, lambda) with u3 equal to each (S, 2, 2) unitary up to a phase.

    In SU(2), V = [[p, -q*], [q, p*]] = u3 e^{-i(phi+lambda)/2}, so theta = 2 atan2(|q|, |p|),
    phi = arg q - arg p, lambda = -arg p - arg q; a phase that is ill-defined (|p| or |q| ~ 0)
    only multiplies an entry that small, so the result stays exact to rounding.
    """
    det = u[:, 0, 0] * u[:, 1, 1] - u[:, 0, 1] * u[:, 1, 0]
    root = np.sqrt(det)
    p, q = u[:, 0, 0] / root, u[:, 1, 0] / root
    ap, aq = np.angle(p), np.angle(q)
    return np.stack([2 * np.arctan2(np.abs(q), np.abs(p)), aq - ap, -ap - aq], axis=1)


def row_parameters(circuit: Circuit, rows: list[FusedRow], angles: np.ndarray) -> np.ndarray:
    """(S, rows, 3) numbers t0, t1, t2 of each row: u3 angles, or a channel's probability in t0."""
    out = np.zeros((angles.shape[0], len(rows), 3))
    for r, row in enumerate(rows):
        if row.op == "u3":
            u = None
            for k in row.gates:
                m = gate_matrices(circuit.gates[k].op, angles[:, k])
                u = m if u is None else m @ u
            out[:, r] = u3_angles(u)
        else:
            out[:, r, 0] = angles[:, row.gates[0]]
    return out
