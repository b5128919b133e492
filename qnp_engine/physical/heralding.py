"""Heralded entanglement generation models: per-attempt success probability, attempt duration and
the heralded two-qubit state.

* ``abstract``: given success probability, attempt time and Werner fidelity; heralds Phi+.
* ``single_click`` (Cabrillo et al. 1999; Humphreys et al., Nature 558, 2018): bright-state
  population alpha; p = 2*alpha*eta - alpha^2*eta^2 and F = (1-alpha)/(1-alpha*eta/2) for ideal
  detectors; the full model with dark counts and visibility follows the Humphreys supplementary
  (reference notes R13). Heralds Psi+ or Psi- (which detector clicked), each with probability 1/2.
* ``double_click`` (Barrett & Kok, PRA 71, 060310(R), 2005): p = eta_A*eta_B/2, fidelity limited by
  the two-photon visibility: F = (1+V)/2 (dark counts are neglected). Heralds Psi+ or Psi-.

The station sits at the midpoint; one attempt lasts ``cycle_time_s`` plus the photon's travel to
the station and the herald's return (2 * L/2 / c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from qnp_engine.physical.fibre import delay_s, transmissivity


class PairShape(Enum):
    """How the heralded state is written down (the backend builds the density matrix from it)."""

    WERNER = "werner"            # F |beta><beta| + (1-F)/3 (others)
    SINGLE_CLICK = "single_click"
    DOUBLE_CLICK = "double_click"


@dataclass(frozen=True, slots=True)
class SingleClickTerms:
    """Unnormalised outcome weights of a successful single-click attempt (R13)."""

    p_uu: float
    p_ud: float
    p_du: float
    p_dd: float
    visibility: float

    @property
    def p_succ(self) -> float:
        return self.p_uu + self.p_ud + self.p_du + self.p_dd

    @property
    def fidelity(self) -> float:
        return ((self.p_ud + self.p_du) / 2 + math.sqrt(self.visibility * self.p_ud * self.p_du)) / self.p_succ


@dataclass(frozen=True, slots=True)
class AttemptModel:
    """Everything the link layer needs about one link's attempts."""

    success_probability: float
    attempt_time_s: float
    fidelity: float              # fidelity of the heralded pair to its reported Bell state
    shape: PairShape
    bell_indices: tuple[int, ...]  # heralded Bell states, equally likely
    single_click: SingleClickTerms | None = None
    visibility: float = 1.0

    @property
    def mean_pair_time_s(self) -> float:
        return self.attempt_time_s / self.success_probability


def single_click_terms(alpha_a: float, alpha_b: float, p_a: float, p_b: float,
                       dark_count_probability: float, visibility: float) -> SingleClickTerms:
    s0 = (1.0 - dark_count_probability) ** 2
    s1 = 1.0 - s0
    p_uu = alpha_a * alpha_b * (s0 * (p_a * (1 - p_b) + p_b * (1 - p_a) + p_a * p_b) + s1 * (1 - p_a) * (1 - p_b))
    p_ud = alpha_a * (1 - alpha_b) * (s0 * p_a + s1 * (1 - p_a))
    p_du = alpha_b * (1 - alpha_a) * (s0 * p_b + s1 * (1 - p_b))
    p_dd = (1 - alpha_a) * (1 - alpha_b) * s1
    return SingleClickTerms(p_uu, p_ud, p_du, p_dd, visibility)


def attempt_model(link, length_km: float, light_speed_km_s: float) -> AttemptModel:
    """Build the attempt model of a ``LinkSpec``-like object (duck-typed to keep layers apart)."""
    model = getattr(link.model, "value", link.model)
    travel = 2 * delay_s(length_km / 2, light_speed_km_s)
    if model == "abstract":
        t = link.attempt_time_s if link.attempt_time_s is not None else link.cycle_time_s + travel
        return AttemptModel(link.success_probability, t, link.fidelity, PairShape.WERNER, (0,))
    eta_arm = link.detection_efficiency * transmissivity(length_km / 2, link.attenuation_db_per_km)
    t = link.cycle_time_s + travel
    if model == "single_click":
        terms = single_click_terms(link.alpha, link.alpha, eta_arm, eta_arm, link.dark_count_probability,
                                   link.visibility)
        return AttemptModel(terms.p_succ, t, terms.fidelity, PairShape.SINGLE_CLICK, (1, 3), terms, link.visibility)
    if model == "double_click":
        p = eta_arm * eta_arm / 2
        return AttemptModel(p, t, (1 + link.visibility) / 2, PairShape.DOUBLE_CLICK, (1, 3), None, link.visibility)
    raise ValueError(f"unknown link model {model!r}")
