"""Derived physics per link, shown while the user edits: transmissivity, success probability,
expected pair rate and heralded-pair fidelity.

UI layer, pure. Calls the engine's physical layer directly (it is pure and fast); a link with an
invalid field gets no numbers rather than an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import ValidationError

from pages.ui.draft import Draft, link_documents
from qnp_engine.model import LinkSpec
from qnp_engine.model.geo import great_circle_km
from qnp_engine.physical.fibre import transmissivity
from qnp_engine.physical.heralding import attempt_model

LIGHT_SPEED_KM_S = 2.0e5


@dataclass(frozen=True)
class LinkPhysics:
    a: str
    b: str
    model: str
    length_km: float
    transmissivity: float       # whole fibre, end to end
    success_probability: float  # per attempt
    attempt_time_s: float
    pair_rate_hz: float         # expected heralded pairs per second (1 / mean pair time)
    fidelity: float             # of the heralded pair

    def row(self) -> dict:
        return {"link": f"{self.a}–{self.b}", "model": self.model, "length (km)": round(self.length_km, 3),
                "transmissivity η": self.transmissivity, "p success / attempt": self.success_probability,
                "attempt time (µs)": self.attempt_time_s * 1e6, "pair rate (Hz)": self.pair_rate_hz,
                "pair fidelity": self.fidelity}


def link_length_km(draft: Draft, link: dict, nodes: dict | None = None) -> float | None:
    """``nodes``: the draft's nodes by name, when the caller has it already (one lookup table per draft)."""
    if link.get("length_km") is not None:
        return float(link["length_km"])
    nodes = nodes if nodes is not None else {n.get("name"): n for n in draft.get("nodes") or []}
    a, b = nodes.get(link.get("a")), nodes.get(link.get("b"))
    if a and b and None not in (a.get("lat"), a.get("lon"), b.get("lat"), b.get("lon")):
        try:
            return great_circle_km(float(a["lat"]), float(a["lon"]), float(b["lat"]), float(b["lon"]))
        except (TypeError, ValueError):
            return None
    return 0.0


def link_physics(draft: Draft) -> list[LinkPhysics | None]:
    """One entry per link of the draft, in order; None where the link's fields are invalid."""
    light = float((draft.get("simulation") or {}).get("light_speed_km_s") or LIGHT_SPEED_KM_S)
    nodes = {n.get("name"): n for n in draft.get("nodes") or []}
    out: list[LinkPhysics | None] = []
    for raw in link_documents(draft):
        try:
            spec = LinkSpec.model_validate(raw)
        except (ValidationError, TypeError):
            out.append(None)
            continue
        length = link_length_km(draft, raw, nodes)
        if length is None or length < 0:
            out.append(None)
            continue
        try:
            m = attempt_model(spec, length, light)
        except (ValueError, ZeroDivisionError):
            out.append(None)
            continue
        rate = m.success_probability / m.attempt_time_s if m.attempt_time_s > 0 else math.inf
        out.append(LinkPhysics(spec.a, spec.b, spec.model.value, length,
                               transmissivity(length, spec.attenuation_db_per_km),
                               m.success_probability, m.attempt_time_s, rate, m.fidelity))
    return out
