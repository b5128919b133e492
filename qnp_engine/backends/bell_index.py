"""Bell-index algebra (reference notes §1.5, R1).

Encoding, fixed once everywhere: index = x + 2 z for the state (X^x Z^z (x) I)|Phi+>, so
Phi+ = 0, Psi+ = 1, Phi- = 2, Psi- = 3. Swapping pairs in states b1 and b2 with Bell-measurement
outcome m leaves the outer qubits in b1 ^ b2 ^ m (XOR of the 2-bit indices).
"""

from __future__ import annotations

import numpy as np

PHI_PLUS, PSI_PLUS, PHI_MINUS, PSI_MINUS = 0, 1, 2, 3
NAMES = ("Phi+", "Psi+", "Phi-", "Psi-")

_S = 1 / np.sqrt(2)
# Column k is |beta_k> in the computational basis |00>, |01>, |10>, |11> (qubit 0 is the left bit).
BELL_VECTORS = np.array(
    [
        [_S, 0, _S, 0],
        [0, _S, 0, -_S],
        [0, _S, 0, _S],
        [_S, 0, -_S, 0],
    ],
    dtype=complex,
)


def bell_vector(index: int) -> np.ndarray:
    return BELL_VECTORS[:, index]


def compose(*indices: int) -> int:
    """The Pauli frame of a chain: XOR of link indices and swap outcomes."""
    out = 0
    for i in indices:
        out ^= i
    return out


def x_bit(index: int) -> int:
    return index & 1


def z_bit(index: int) -> int:
    return index >> 1


def correlation_flip(index: int, basis: str) -> int:
    """1 if same-basis outcomes of the ideal state ``index`` are anti-correlated, else 0.

    <ZZ> = (-1)^x, <XX> = (-1)^z, <YY> = -(-1)^(x^z): Z outcomes equal iff x = 0, X outcomes equal
    iff z = 0, Y outcomes equal iff x ^ z = 1.
    """
    if basis == "Z":
        return x_bit(index)
    if basis == "X":
        return z_bit(index)
    if basis == "Y":
        return 1 - (x_bit(index) ^ z_bit(index))
    raise ValueError(f"unknown basis {basis!r}")
