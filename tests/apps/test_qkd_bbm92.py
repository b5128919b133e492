"""BBM92 distillation on Werner pairs from the closed-form backend vs the closed forms (R3, R10)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnp_engine.apps.auth import AuthenticatedChannel, AuthenticationError
from qnp_engine.apps.bbm92_source import sample_outcomes
from qnp_engine.apps.keyrate import (
    asymptotic_key_fraction,
    binary_entropy,
    finite_size_key_length,
    finite_size_mu,
    werner_qber,
)
from qnp_engine.apps.qkd import QkdParams, run_bbm92
from qnp_engine.backends.closed_form import ClosedFormBackend

AUTH = bytes(range(256)) * 4
BACKEND = ClosedFormBackend()


def werner_records(fidelity: float, pairs: int, seed: int):
    return sample_outcomes(BACKEND, BACKEND.werner(fidelity), pairs, np.random.default_rng(seed))


def test_sampler_agrees_with_backend_measure():
    state = BACKEND.werner(0.9)
    rng = np.random.default_rng(5)
    records = sample_outcomes(BACKEND, state, 200, rng)
    rng = np.random.default_rng(5)
    rng.integers(0, 2, size=200), rng.integers(0, 2, size=200)
    for (ba, xa, bb, xb), u in zip(records, rng.random(200), strict=True):
        assert (xa, xb) == BACKEND.measure(state, (ba, bb), float(u))


@pytest.mark.parametrize("fidelity", [0.95, 0.9])
def test_werner_qber_and_key_length_match_closed_forms(fidelity):
    records = werner_records(fidelity, 200_000, seed=11)
    r = run_bbm92(records, seed=3, auth_key=AUTH)
    q = werner_qber(fidelity)  # R3: the same in Z and X
    assert r.aborted == "" and r.verified
    assert r.key == r.key_bob and len(r.key) * 8 == r.key_bits > 0
    # Sifting keeps half the pairs (binomial, 5 sigma).
    assert abs(r.sifted_bits - r.pairs / 2) < 5 * math.sqrt(r.pairs / 4)
    # QBER: sample estimate, per basis, and the exact error count Cascade found (5 sigma each).
    for estimate, count in [(r.qber, r.sample_bits), (r.qber_reconciled, r.reconciled_bits)]:
        assert abs(estimate - q) < 5 * math.sqrt(q * (1 - q) / count)
    for estimate in (r.qber_z, r.qber_x):
        assert abs(estimate - q) < 5 * math.sqrt(q * (1 - q) / (r.sample_bits / 2.2))
    # R10: asymptotic fraction 1 - 2h(Q); its error propagates through h'(Q) = log2((1-Q)/Q).
    slope = 2 * math.log2((1 - q) / q)
    assert abs(r.asymptotic_fraction - asymptotic_key_fraction(q)) < slope * 5 * math.sqrt(q * (1 - q) / r.sample_bits)
    # Produced key length = finite-size formula with the closed-form QBER and the leakage Cascade
    # disclosed, up to the phase-error estimate's statistical spread (5 sigma through h').
    n, k = r.reconciled_bits, r.sample_bits
    predicted = finite_size_key_length(n, k, q, r.leak_ec_bits)
    e = q + finite_size_mu(n, k)
    spread = n * math.log2((1 - e) / e) * 5 * math.sqrt(q * (1 - q) / k)
    assert abs(r.secret_bits - predicted) < spread + 8
    # ...and always below the asymptotic bound of R10 times the sifted bits.
    assert r.secret_bits < r.sifted_bits * asymptotic_key_fraction(q)
    # Cascade leaks more than the Shannon limit but not much more.
    assert 1.0 < r.ec_efficiency < 1.3
    assert r.key_bits == r.secret_bits - 8 * math.ceil(r.auth_key_used_bits / 8)


def test_above_threshold_gives_no_key():
    r = run_bbm92(werner_records(0.82, 60_000, seed=2), seed=1, auth_key=AUTH)  # Q = 12 %
    assert r.qber > 0.11 and r.key == b"" and r.key_bits == 0
    assert "threshold" in r.aborted and r.asymptotic_fraction == 0.0


def test_too_few_pairs_and_single_basis_give_no_key():
    r = run_bbm92(werner_records(0.95, 2_000, seed=2), seed=1, auth_key=AUTH)
    assert r.key == b"" and "too few" in r.aborted and r.finite_size_ideal_ec_bits == 0
    z_only = [rec for rec in werner_records(0.99, 4_000, seed=3) if rec[0] == rec[2] == "Z"]
    assert "phase error" in run_bbm92(z_only, seed=1, auth_key=AUTH).aborted


def test_same_seed_same_key_and_refilled_auth_key():
    records = werner_records(0.97, 120_000, seed=4)
    a = run_bbm92(records, seed=9, auth_key=AUTH)
    b = run_bbm92(records, seed=9, auth_key=AUTH)
    c = run_bbm92(records, seed=10, auth_key=AUTH)
    assert a.key == b.key and a.key != c.key and a.key_bits > 0
    # The next session's authentication key keeps its size: untouched bytes + a refill of fresh key.
    assert len(a.next_auth_key) == len(AUTH) and a.next_auth_key[:8] != AUTH[:8]
    assert "key" not in a.to_dict() and a.to_dict()["pairs"] == 120_000


def test_tampered_classical_channel_aborts():
    records = werner_records(0.97, 60_000, seed=4)

    def flip_parities(sender, kind, payload):
        return payload ^ 1 if kind == "cascade-block-parities" else payload

    with pytest.raises(AuthenticationError):
        run_bbm92(records, seed=1, auth_key=AUTH, channel=AuthenticatedChannel(AUTH, tamper=flip_parities))


def test_bad_records_and_params_are_reported():
    with pytest.raises(ValueError, match="basis_a"):
        run_bbm92([("Q", 0, "Z", 0)], seed=1, auth_key=AUTH)
    with pytest.raises(ValueError, match="sample_fraction"):
        QkdParams(sample_fraction=1.5)
    assert binary_entropy(0.25) == pytest.approx(0.811278, abs=1e-6)
