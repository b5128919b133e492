"""Key-rate formulas (R3, R10), Toeplitz hashing, Wegman-Carter authentication and Cascade."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import toeplitz

from qnp_engine.apps.auth import AuthenticatedChannel, AuthenticationError, WegmanCarter
from qnp_engine.apps.cascade import cascade
from qnp_engine.apps.keyrate import (
    QBER_THRESHOLD,
    asymptotic_key_fraction,
    binary_entropy,
    finite_size_key_length,
    predicted_key_rate_hz,
    werner_qber,
)
from qnp_engine.apps.toeplitz import seed_length, toeplitz_hash


@pytest.mark.parametrize(
    ("fidelity", "qber", "fraction"),
    [
        (0.99, 0.00667, 0.88444),
        (0.95, 0.03333, 0.57832),
        (0.9, 0.06667, 0.29328),
        (0.85, 0.1, 0.06201),
        (0.8, None, 0.0),
    ],
)
def test_r10_examples(fidelity, qber, fraction):
    q = werner_qber(fidelity)
    if qber is not None:
        assert q == pytest.approx(qber, abs=5e-6)
    assert asymptotic_key_fraction(q) == pytest.approx(fraction, abs=5e-6)


def test_threshold_and_entropy():
    assert abs(QBER_THRESHOLD - 0.110028) < 1e-6
    assert binary_entropy(0.5) == 1.0 and binary_entropy(0.0) == 0.0
    assert binary_entropy(0.11) == pytest.approx(binary_entropy(0.89))
    # Werner F at the threshold: 0.834958 (R10).
    assert abs(1 - 1.5 * QBER_THRESHOLD - 0.834958) < 1e-6
    assert predicted_key_rate_hz(0.95, 100.0) == pytest.approx(100 * 0.5 * 0.57832, rel=1e-4)


def test_finite_size_tends_to_asymptotic():
    q = werner_qber(0.95)
    sizes = [10**4, 10**6, 10**9]
    fractions = [finite_size_key_length(n, n // 10, q, n * binary_entropy(q)) / n for n in sizes]
    assert fractions[0] < fractions[1] < fractions[2] < asymptotic_key_fraction(q)
    assert fractions[2] == pytest.approx(asymptotic_key_fraction(q), abs=0.01)
    assert finite_size_key_length(1000, 100, 0.2, 0) == 0


@pytest.mark.parametrize(("n", "out"), [(1, 1), (37, 11), (400, 399), (3000, 1500)])  # the last one takes the FFT
def test_toeplitz_matches_dense_matrix(n, out):
    rng = np.random.default_rng(n)
    x = rng.integers(0, 2, n, dtype=np.uint8)
    seed = rng.integers(0, 2, seed_length(n, out), dtype=np.uint8)
    dense = toeplitz(seed[n - 1 :], seed[n - 1 :: -1])  # first column, first row
    assert dense.shape == (out, n)
    expected = dense.astype(np.int64) @ x.astype(np.int64) % 2
    assert np.array_equal(toeplitz_hash(x, seed, out), expected)
    with pytest.raises(ValueError, match="seed must have"):
        toeplitz_hash(x, seed[:-1], out)


def test_wegman_carter_detects_tampering_and_exhaustion():
    pool = bytes(range(256))
    ch = AuthenticatedChannel(pool, tamper=lambda who, kind, p: [1, 0] if kind == "bases" else p)
    ch.send("alice", "bases", [0, 1])
    with pytest.raises(AuthenticationError):
        ch.checkpoint()
    honest = AuthenticatedChannel(pool)
    honest.send("alice", "bases", [0, 1])
    honest.send("bob", "bases", [1, 1])
    honest.checkpoint()
    assert honest.key_bits_used == 2 * (16 + 16) * 8
    rest = honest.remaining_key()
    assert len(rest) == len(pool) - 64 and rest == pool[32:128] + pool[160:]  # used bytes never handed on
    wc = WegmanCarter(bytes(48))
    wc.tag(b"a")
    wc.tag(b"b")
    with pytest.raises(AuthenticationError, match="exhausted"):
        wc.tag(b"c")


@pytest.mark.parametrize("q", [0.01, 0.05, 0.1])
def test_cascade_corrects_and_counts_leakage(q):
    rng = np.random.default_rng(int(q * 1000))
    n = 20000
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    errors = (rng.random(n) < q).astype(np.uint8)
    ch = AuthenticatedChannel(bytes(range(256)) * 8)
    result = cascade(alice, alice ^ errors, q, rng, ch)
    assert np.array_equal(result.corrected, alice)
    assert result.errors_corrected == int(errors.sum())
    # Leakage can never beat the Shannon limit n h(Q); original Cascade lands at 1.1-1.25 of it here.
    shannon = n * binary_entropy(errors.mean())
    assert shannon < result.leak_bits < 1.3 * shannon
    assert ch.checkpoints >= result.passes  # every pass ends in an authentication checkpoint
