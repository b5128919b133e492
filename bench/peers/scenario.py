"""The one benchmark scenario, written down once for all three simulators (bench layer, stdlib only).

Every peer script imports this file from its own interpreter (Python 3.11 or 3.12, no third-party
packages), so the physical numbers and the derived per-attempt figures cannot drift apart between
tools. ``README.md`` explains how each tool maps them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

CHAINS = (3, 5, 9)


@dataclass(frozen=True)
class Scenario:
    nodes: int = 3                      # linear chain A - R1 - ... - B
    link_km: float = 10.0               # node-to-node fibre; the heralding station sits at the midpoint
    attenuation_db_per_km: float = 0.2
    light_speed_km_s: float = 2.0e5     # SeQUeNCe's SPEED_OF_LIGHT is the same 2e8 m/s
    cycle_time_s: float = 1.0e-5        # emission cycle; SeQUeNCe memory frequency = 1 / cycle
    raw_fidelity: float = 0.95          # Werner state heralded on every link
    coherence_time_s: float = 1.0       # per stored qubit: w -> w * exp(-t / T)
    memory_noise: bool = True           # False: noiseless memories (the exact Werner-product check)
    cutoff_s: float = 0.01              # a stored pair older than this is discarded
    pairs: int = 1000                   # end-to-end pairs to deliver
    seed: int = 1
    wall_budget_s: float = 120.0        # stop a run early after this much wall-clock time
    extra: dict = field(default_factory=dict)

    # -- derived physics (reference notes R12, R14) -------------------------------------------
    @property
    def links(self) -> int:
        return self.nodes - 1

    @property
    def eta_arm(self) -> float:
        """Transmissivity node -> midpoint station (half the link)."""
        return 10.0 ** (-self.attenuation_db_per_km * self.link_km / 2 / 10.0)

    @property
    def success_probability(self) -> float:
        """Both photons must reach the station and the linear-optics BSM succeeds half the time:
        p = eta_A * eta_B / 2 (Barrett-Kok form; also SeQUeNCe's single-heralded BSM)."""
        return self.eta_arm * self.eta_arm / 2.0

    @property
    def attempt_time_s(self) -> float:
        """Cycle plus photon travel to the midpoint and the herald's way back: cycle + L/c."""
        return self.cycle_time_s + self.link_km / self.light_speed_km_s

    @property
    def link_delay_s(self) -> float:
        return self.link_km / self.light_speed_km_s

    def werner_fidelity(self) -> float:
        """End-to-end fidelity with ideal swaps and no memory noise: F = (1 + 3 prod w) / 4 (R2)."""
        w = (4.0 * self.raw_fidelity - 1.0) / 3.0
        return (1.0 + 3.0 * w ** self.links) / 4.0

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls(**json.loads(text))


def implied_storage_s(fidelity: float, raw_fidelity: float, links: int, coherence_time_s: float) -> float:
    """Qubit-seconds of storage (summed over a pair's qubits) that a mean fidelity implies, inverting
    F = (1 + 3 w^n exp(-sum t / T)) / 4 (reference notes R2, R4)."""
    w = (4.0 * raw_fidelity - 1.0) / 3.0
    w_obs = (4.0 * fidelity - 1.0) / 3.0
    if w_obs <= 0:
        return math.inf
    return coherence_time_s * math.log(w ** links / w_obs)


@dataclass
class PeerResult:
    """What every tool reports for one run; printed as one JSON line on stdout."""

    tool: str
    version: str
    nodes: int
    round: int
    wall_s: float              # setup (network build) + simulation, excluding interpreter start and imports
    setup_s: float
    cpu_s: float               # process CPU time over the same span (robust when the machine is shared)
    delivered: int
    sim_time_s: float
    events: int | None
    fidelity_mean: float
    fidelity_min: float | None = None  # None where the tool does not expose per-pair values
    fidelity_max: float | None = None
    stopped_by: str = "pairs"  # "pairs", "wall_budget" or "sim_end"
    notes: str = ""

    @property
    def pairs_per_wall_s(self) -> float:
        return self.delivered / self.wall_s if self.wall_s > 0 else 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def fidelity_stats(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return 0.0, 0.0, 0.0
    return sum(values) / len(values), min(values), max(values)
