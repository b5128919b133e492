"""Key-rate formulas for entanglement-based QKD (BBM92): asymptotic and finite-size.

Apps layer, pure math. Asymptotic fraction per sifted bit (Shor-Preskill, reference notes R10):
r = 1 - h(e_bit) - h(e_phase), = 1 - 2h(Q) for symmetric errors; Werner pairs give Q = 2(1-F)/3 (R3).
Finite-size secret length (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. 2):
l = n (1 - h(Q + mu)) - leak_EC - log2(2 / (eps_sec^2 eps_cor)),
mu = sqrt((n + k)/(n k) * (k + 1)/k * ln(2/eps_sec)), with n key bits and k sacrificed test bits.
"""

from __future__ import annotations

import math

EPS_SEC = 1e-10  # secrecy parameter (trace distance to an ideal key)
EPS_COR = 1e-15  # correctness parameter (probability that the two keys differ undetected)
SIFTING_XZ = 0.5  # both sides choose Z or X uniformly at random


def binary_entropy(p: float) -> float:
    """h(p) in bits; h(0) = h(1) = 0, symmetric about 1/2, and clipped to [0, 1/2] beyond it."""
    p = min(max(float(p), 0.0), 1.0)
    if p > 0.5:
        p = 1.0 - p
    if p <= 0.0:
        return 0.0
    return -p * math.log2(p) - (1.0 - p) * math.log2(1.0 - p)


def werner_qber(fidelity: float) -> float:
    """QBER in every basis of a Werner pair of fidelity F (R3): Q = 2(1 - F)/3."""
    return 2.0 * (1.0 - fidelity) / 3.0


def asymptotic_key_fraction(qber: float, qber_phase: float | None = None) -> float:
    """Secret bits per sifted bit, 1 - h(Q_bit) - h(Q_phase), floored at 0 (R10)."""
    phase = qber if qber_phase is None else qber_phase
    return max(0.0, 1.0 - binary_entropy(qber) - binary_entropy(phase))


def _threshold() -> float:
    # Bisection of 1 - 2h(Q) = 0 on (0, 1/2); h is increasing there.
    lo, hi = 0.0, 0.5
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1.0 - 2.0 * binary_entropy(mid) > 0:
            lo = mid
        else:
            hi = mid
    return lo


QBER_THRESHOLD = _threshold()  # 0.110028 (R10)


def finite_size_mu(n: int, k: int, eps_sec: float = EPS_SEC) -> float:
    """Statistical margin on the phase-error rate estimated from k of n + k bits."""
    if n <= 0 or k <= 0:
        return math.inf
    return math.sqrt((n + k) / (n * k) * (k + 1) / k * math.log(2.0 / eps_sec))


def security_overhead_bits(eps_sec: float = EPS_SEC, eps_cor: float = EPS_COR) -> float:
    """log2(2 / (eps_sec^2 eps_cor)): privacy-amplification and verification cost in bits."""
    return math.log2(2.0 / (eps_sec**2 * eps_cor))


def verification_tag_bits(eps_cor: float = EPS_COR) -> int:
    """Length of the hash that checks Alice's and Bob's corrected keys agree."""
    return math.ceil(math.log2(1.0 / eps_cor))


def finite_size_key_length(
    n: int, k: int, qber_phase: float, leak_ec: float, eps_sec: float = EPS_SEC, eps_cor: float = EPS_COR
) -> int:
    """Secret bits extractable from n reconciled bits (Tomamichel et al. 2012); 0 when negative."""
    if n <= 0:
        return 0
    e = qber_phase + finite_size_mu(n, k, eps_sec)
    if e >= 0.5:
        return 0
    length = n * (1.0 - binary_entropy(e)) - leak_ec - security_overhead_bits(eps_sec, eps_cor)
    return max(0, math.floor(length))


def predicted_key_rate_hz(fidelity: float, pair_rate_hz: float, sifting: float = SIFTING_XZ) -> float:
    """Asymptotic secret-key rate of a request: pair rate x sifting x (1 - 2h(Q_Werner)) (R10)."""
    return max(0.0, pair_rate_hz) * sifting * asymptotic_key_fraction(werner_qber(fidelity))
