"""Toeplitz hashing for privacy amplification (a 2-universal family; leftover hash lemma).

Apps layer. The l x n matrix is T[i, j] = seed[i - j + n - 1] for a public seed of n + l - 1 bits, so
y = T x (mod 2) is a slice of the convolution seed * x, computed exactly with an FFT for any size the
pipeline meets (integer sums below 2^40 survive float64 rounding by a wide margin).
"""

from __future__ import annotations

import numpy as np


def seed_length(n: int, out_bits: int) -> int:
    return n + out_bits - 1


def toeplitz_hash(bits: np.ndarray, seed: np.ndarray, out_bits: int) -> np.ndarray:
    """Return ``out_bits`` bits (uint8 0/1) = T(seed) @ bits mod 2."""
    x = np.asarray(bits, dtype=np.uint8)
    s = np.asarray(seed, dtype=np.uint8)
    n = x.size
    if out_bits <= 0 or n == 0:
        return np.zeros(0, dtype=np.uint8)
    if out_bits > n:
        raise ValueError(f"cannot extract {out_bits} bits from {n}")
    if s.size != seed_length(n, out_bits):
        raise ValueError(f"seed must have {seed_length(n, out_bits)} bits, got {s.size}")
    if n * out_bits <= 1 << 22:  # small: a direct product is exact and cheap
        idx = np.arange(out_bits)[:, None] - np.arange(n)[None, :] + n - 1
        return (s[idx].astype(np.int64) @ x.astype(np.int64) % 2).astype(np.uint8)
    size = 1 << int(np.ceil(np.log2(s.size + n - 1)))
    conv = np.fft.irfft(np.fft.rfft(s.astype(float), size) * np.fft.rfft(x.astype(float), size), size)
    window = np.rint(conv[n - 1 : n - 1 + out_bits]).astype(np.int64)
    return (window % 2).astype(np.uint8)
