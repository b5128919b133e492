"""BBM92 key distillation from measure-directly pairs: the QKD application of the engine.

Apps layer (no web, no storage). Input: the simulator's per-pair records ``(basis_a, bit_a, basis_b,
bit_b)`` (Bell-index fixed up, so ideal pairs agree in equal bases). Steps, each one message exchange
over an authenticated classical channel (``auth.py``, Wegman-Carter with a pre-shared key):

1. sifting: both announce their bases; pairs measured in the same key basis (Z or X) are kept;
2. parameter estimation: Alice picks a random sample, both reveal those bits -> QBER per basis;
   abort when it exceeds the 11 % threshold or the finite-size bound leaves no key;
3. error correction: Cascade (``cascade.py``), disclosed parities counted as leakage;
4. verification: a Toeplitz hash of ceil(log2 1/eps_cor) bits must agree, else abort;
5. privacy amplification: Toeplitz hashing (``toeplitz.py``) to the finite-size length
   (``keyrate.py``), floored to whole bytes;
6. refill: as many fresh bits as the channel's tags consumed are set aside as the next session's
   authentication key; the rest is the delivered key.

Phase errors: a Z-basis key bit's phase error rate is the X-basis error rate and vice versa, so the
phase-error estimate of the mixed key string is (n_Z Q_X + n_X Q_Z) / n, widened by the finite-size
margin mu with k = all sampled bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from qnp_engine.apps.auth import AuthenticatedChannel
from qnp_engine.apps.cascade import cascade
from qnp_engine.apps.keyrate import (
    EPS_COR,
    EPS_SEC,
    QBER_THRESHOLD,
    asymptotic_key_fraction,
    binary_entropy,
    finite_size_key_length,
    finite_size_mu,
    verification_tag_bits,
)
from qnp_engine.apps.toeplitz import seed_length, toeplitz_hash

_BASIS_CODE = {"Z": 0, "X": 1, "Y": 2}


@dataclass(frozen=True)
class QkdParams:
    sample_fraction: float = 0.1  # share of sifted bits sacrificed for QBER estimation
    cascade_passes: int = 4
    eps_sec: float = EPS_SEC
    eps_cor: float = EPS_COR
    key_bases: tuple[str, ...] = ("Z", "X")

    def __post_init__(self) -> None:
        if not 0.0 < self.sample_fraction < 1.0:
            raise ValueError("sample_fraction must be in (0, 1)")
        if self.cascade_passes < 1:
            raise ValueError("cascade_passes must be at least 1")


@dataclass(frozen=True)
class QkdResult:
    """What one distillation produced, with the closed-form figures it should be compared with."""

    pairs: int
    sifted_bits: int
    sample_bits: int
    reconciled_bits: int  # n: key bits entering Cascade
    qber: float  # sample estimate, both bases
    qber_z: float | None
    qber_x: float | None
    qber_reconciled: float  # errors Cascade corrected / n (the real error rate of the key string)
    phase_error_bound: float  # estimate + finite-size margin
    leak_ec_bits: int
    ec_efficiency: float | None  # leak / (n h(Q)); 1 is the Shannon limit
    cascade_rounds: int
    verified: bool
    secret_bits: int  # output of privacy amplification (before the authentication refill)
    key_bits: int  # delivered key bits
    auth_key_used_bits: int
    asymptotic_fraction: float  # 1 - h(Q_bit) - h(Q_phase) per sifted bit (R10)
    asymptotic_key_bits: int  # sifted_bits x asymptotic_fraction
    finite_size_ideal_ec_bits: int  # finite-size length if error correction leaked exactly n h(Q)
    secret_bits_per_pair: float
    key_rate_bps: float | None  # delivered key bits per second of simulated time, when known
    aborted: str  # "" when a key was produced
    key: bytes = field(default=b"", repr=False)  # Alice's delivered key
    key_bob: bytes = field(default=b"", repr=False)
    next_auth_key: bytes = field(default=b"", repr=False)

    def to_dict(self) -> dict:
        """JSON-able figures; key material is left out on purpose."""
        out = asdict(self)
        for name in ("key", "key_bob", "next_auth_key"):
            out.pop(name)
        return out


def _records(outcomes: Sequence[Sequence]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not outcomes:
        empty = np.zeros(0, dtype=np.uint8)
        return empty, empty, empty, empty
    try:
        ba, xa, bb, xb = zip(*outcomes, strict=True)
        codes_a = np.array([_BASIS_CODE[str(b)] for b in ba], dtype=np.uint8)
        codes_b = np.array([_BASIS_CODE[str(b)] for b in bb], dtype=np.uint8)
    except (KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"outcomes must be (basis_a, bit_a, basis_b, bit_b) with bases Z/X/Y: {exc}") from None
    return codes_a, np.array(xa, dtype=np.uint8) & 1, codes_b, np.array(xb, dtype=np.uint8) & 1


def _rate(errors: int, total: int) -> float | None:
    return errors / total if total else None


def run_bbm92(
    outcomes: Sequence[Sequence],
    seed: int,
    auth_key: bytes,
    params: QkdParams | None = None,
    duration_s: float | None = None,
    channel: AuthenticatedChannel | None = None,
) -> QkdResult:
    """Distil a key from pair records; ``auth_key`` is the pre-shared authentication key (>= 64 bytes)."""
    params = params or QkdParams()
    ch = channel or AuthenticatedChannel(auth_key)
    rng_alice = np.random.default_rng([seed, 0xA11CE])
    codes_a, bits_a, codes_b, bits_b = _records(outcomes)
    pairs = int(codes_a.size)
    out = {"pairs": pairs, "auth_key_used_bits": 0, "verified": False, "aborted": ""}

    # 1. Sifting.
    seen_b = ch.send("alice", "bases", codes_a)
    seen_a = ch.send("bob", "bases", codes_b)
    key_codes = np.array([_BASIS_CODE[b] for b in params.key_bases], dtype=np.uint8)
    sifted = np.flatnonzero((codes_a == seen_a) & (seen_b == codes_b) & np.isin(codes_a, key_codes))
    alice, bob, basis = bits_a[sifted], bits_b[sifted], codes_a[sifted]
    # 2. Parameter estimation on a random sample chosen by Alice.
    k = min(sifted.size, max(1, round(params.sample_fraction * sifted.size))) if sifted.size else 0
    sample = np.sort(rng_alice.choice(sifted.size, size=k, replace=False)) if k else np.zeros(0, np.int64)
    sample = ch.send("alice", "sample-positions", sample)
    a_sample = ch.send("alice", "sample-bits", alice[sample])
    b_sample = ch.send("bob", "sample-bits", bob[sample])
    ch.checkpoint()
    wrong = a_sample != b_sample
    per_basis = {c: _rate(int(wrong[basis[sample] == c].sum()), int((basis[sample] == c).sum())) for c in (0, 1)}
    qber = _rate(int(wrong.sum()), k) or 0.0
    keep = np.ones(sifted.size, dtype=bool)
    keep[sample] = False
    alice, bob, basis = alice[keep], bob[keep], basis[keep]
    n = int(alice.size)
    n_z, n_x = int((basis == 0).sum()), int((basis == 1).sum())
    qz, qx = per_basis[0], per_basis[1]
    phase = (n_z * (qx if qx is not None else 0.5) + n_x * (qz if qz is not None else 0.5)) / n if n else 0.5
    mu = finite_size_mu(n, k, params.eps_sec)
    ideal = finite_size_key_length(n, k, phase, n * binary_entropy(qber), params.eps_sec, params.eps_cor)
    out.update(
        sifted_bits=int(sifted.size), sample_bits=k, reconciled_bits=n, qber=qber, qber_z=qz, qber_x=qx,
        phase_error_bound=min(0.5, phase + mu), asymptotic_fraction=asymptotic_key_fraction(qber, phase),
        finite_size_ideal_ec_bits=ideal, qber_reconciled=0.0, leak_ec_bits=0, ec_efficiency=None,
        cascade_rounds=0, secret_bits=0, key_bits=0,
    )
    out["asymptotic_key_bits"] = math.floor(sifted.size * out["asymptotic_fraction"])

    def finish(reason: str, **extra) -> QkdResult:
        out.update(extra, aborted=reason, auth_key_used_bits=ch.key_bits_used)
        if "next_auth_key" not in extra:
            out["next_auth_key"] = ch.remaining_key()
        out["secret_bits_per_pair"] = out["key_bits"] / pairs if pairs else 0.0
        out["key_rate_bps"] = out["key_bits"] / duration_s if duration_s else None
        return QkdResult(**out)

    if qz is None or qx is None:
        return finish("both Z and X bases are needed to bound the phase error")
    if qber > QBER_THRESHOLD:
        return finish(f"QBER {qber:.2%} is above the {QBER_THRESHOLD:.2%} threshold: no secret key possible")
    if ideal <= 0:
        return finish(f"{pairs} pairs are too few for a finite-size key at QBER {qber:.2%}")

    # 3. Error correction.
    ec = cascade(alice, bob, qber, rng_alice, ch, params.cascade_passes)
    q_real = ec.errors_corrected / n
    out.update(
        qber_reconciled=q_real, leak_ec_bits=ec.leak_bits, cascade_rounds=ec.rounds,
        ec_efficiency=ec.leak_bits / (n * binary_entropy(q_real)) if q_real > 0 else None,
    )
    # 4. Verification with a fresh universal hash.
    t = verification_tag_bits(params.eps_cor)
    vseed = ch.send("alice", "verify-seed", rng_alice.integers(0, 2, seed_length(n, t), dtype=np.uint8))
    tag_a = ch.send("alice", "verify-tag", toeplitz_hash(alice, vseed, t))
    out["verified"] = bool(np.array_equal(tag_a, toeplitz_hash(ec.corrected, vseed, t)))
    if not out["verified"]:
        ch.checkpoint()
        return finish("verification failed: keys still differ after Cascade")
    # 5. Privacy amplification.
    length = finite_size_key_length(n, k, phase, ec.leak_bits, params.eps_sec, params.eps_cor) // 8 * 8
    if length <= 0:
        ch.checkpoint()
        return finish("error-correction leakage leaves no secret key")
    pseed = ch.send("alice", "pa-seed", rng_alice.integers(0, 2, seed_length(n, length), dtype=np.uint8))
    ch.checkpoint()  # nothing is output before every message so far has been authenticated
    key_a = np.packbits(toeplitz_hash(alice, pseed, length)).tobytes()
    key_b = np.packbits(toeplitz_hash(ec.corrected, pseed, length)).tobytes()
    # 6. Refill the authentication key with what this session consumed.
    refill = math.ceil(ch.key_bits_used / 8)
    if refill >= len(key_a):
        return finish("the key is shorter than the authentication key it consumed", secret_bits=length)
    return finish(
        "", secret_bits=length, key_bits=8 * (len(key_a) - refill), key=key_a[refill:], key_bob=key_b[refill:],
        next_auth_key=ch.remaining_key() + key_a[:refill],
    )
