"""SeQUeNCe 1.3.1 side of the peer benchmark (bench layer; runs in bench/peers/.venvs/sequence, Python >= 3.12).

Usage: python peer_sequence.py '<Scenario JSON>' ROUND  -> prints one PeerResult JSON line.

SeQUeNCe's own stack is used unchanged: RouterNetTopo with meet-in-the-middle BSM nodes, the
Bell-diagonal-state formalism, single-heralded generation (SingleHeraldedBSM, p = eta_A eta_B / 2),
static routing, RSVP reservation and its reservation rules. Those rules swap in a fixed nested
(doubling) order, not as soon as possible: on 9 nodes, routers 1, 3, 5, 7 swap first, then 2 and 6,
then 4. The only additions are a RequestApp subclass that records delivered pairs and stops the
timeline after ``pairs`` of them, and a wall-clock watchdog event.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import PeerResult, Scenario, fidelity_stats  # noqa: E402

T_IMPORT = time.perf_counter()
from sequence.app.request_app import RequestApp  # noqa: E402
from sequence.constants import (  # noqa: E402
    BELL_DIAGONAL_STATE_FORMALISM,
    MILLISECOND,
    SECOND,
    SINGLE_HERALDED,
)
from sequence.entanglement_management.generation import (  # noqa: E402
    EntanglementGenerationA,
    EntanglementGenerationB,
)
from sequence.entanglement_management.swapping import (  # noqa: E402
    EntanglementSwappingA,
    EntanglementSwappingB,
)
from sequence.kernel.event import Event  # noqa: E402
from sequence.kernel.process import Process  # noqa: E402
from sequence.kernel.timeline import Timeline  # noqa: E402
from sequence.topology.router_net_topo import RouterNetTopo  # noqa: E402

IMPORT_S = time.perf_counter() - T_IMPORT
PS = 1e-12
RESERVATION_START_S = 0.01     # leaves time for the RSVP round trip along the chain
TARGET_FIDELITY = 0.5          # below every delivered fidelity: no purification, nothing filtered


def build_config(sc: Scenario) -> dict:
    """RouterNetTopo config: routers, one meet-in-the-middle connection per link, classical channels
    between every pair of routers with the fibre delay of the path between them."""
    # SeQUeNCe's BDS memory applies a Pauli channel with rates x = y = z = 1/(3 T_seq) per qubit, which
    # shrinks the Werner parameter by exp(-4 t / (3 T_seq)); T_seq = 4 T / 3 gives exp(-t / T) per qubit.
    coherence_seq = 4.0 * sc.coherence_time_s / 3.0 if sc.memory_noise else -1  # -1: no decay, no expiry
    detector = {"efficiency": 1, "dark_count": 0, "time_resolution": 10, "count_rate": 1e11}
    templates = {
        "router": {"MemoryArray": {
            "frequency": 1.0 / sc.cycle_time_s,
            "coherence_time": coherence_seq,
            "efficiency": 1,
            "fidelity": sc.raw_fidelity,
            "cutoff_ratio": sc.cutoff_s / coherence_seq if sc.memory_noise else 1,
        }},
        "bsm": {"encoding_type": "single_heralded", "SingleHeraldedBSM": {"detectors": [detector, detector]}},
    }
    names = [f"r{i}" for i in range(sc.nodes)]
    nodes = [{"name": n, "type": "QuantumRouter", "seed": sc.seed * 1000 + i, "template": "router",
              "memo_size": 1 if i in (0, sc.nodes - 1) else 2} for i, n in enumerate(names)]
    qconns = [{"node1": names[i], "node2": names[i + 1], "attenuation": sc.attenuation_db_per_km / 1000,
               "distance": sc.link_km * 1000, "type": "meet_in_the_middle", "seed": sc.seed * 1000 + 500 + i,
               "template": "bsm"} for i in range(sc.links)]
    cchannels = []
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i != j:
                delay_ps = int(round(abs(i - j) * sc.link_delay_s / PS))
                cchannels.append({"source": a, "destination": b, "delay": delay_ps,
                                  "distance": abs(i - j) * sc.link_km * 1000})
    return {"templates": templates, "nodes": nodes, "qconnections": qconns, "cchannels": cchannels,
            "formalism": BELL_DIAGONAL_STATE_FORMALISM, "stop_time": int(1e6 * SECOND)}


class CountingApp(RequestApp):
    """RequestApp that keeps each delivered pair's fidelity and stops the timeline at the target."""

    def __init__(self, node, target: int):
        super().__init__(node)
        self.target = target
        self.fidelities: list[float] = []
        self.last_delivery_ps = 0

    def get_memory(self, info) -> None:
        before = self.memory_counter
        fidelity = info.fidelity
        super().get_memory(info)
        if self.memory_counter > before:
            self.fidelities.append(float(fidelity))
            self.last_delivery_ps = self.node.timeline.now()
            if self.memory_counter >= self.target:
                self.node.timeline.stop()


class Watchdog:
    """Checks the wall clock every ``period_ps`` of simulated time and stops the run past the budget."""

    def __init__(self, tl: Timeline, budget_s: float, period_ps: int):
        self.tl, self.budget_s, self.period_ps = tl, budget_s, period_ps
        self.t0 = time.perf_counter()
        self.fired = False

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        self.tl.schedule(Event(self.tl.now() + self.period_ps, Process(self, "check", [])))

    def check(self) -> None:
        if time.perf_counter() - self.t0 > self.budget_s:
            self.fired = True
            self.tl.stop()
        else:
            self._schedule()


def run(sc: Scenario, round_no: int) -> PeerResult:
    t0 = time.perf_counter()
    c0 = time.process_time()
    EntanglementGenerationA.set_global_type(SINGLE_HERALDED)
    EntanglementGenerationB.set_global_type(SINGLE_HERALDED)
    EntanglementSwappingA.set_formalism(BELL_DIAGONAL_STATE_FORMALISM)
    EntanglementSwappingB.set_formalism(BELL_DIAGONAL_STATE_FORMALISM)
    topo = RouterNetTopo(build_config(sc))
    tl = topo.get_timeline()
    routers = {r.name: r for r in topo.get_nodes_by_type(RouterNetTopo.QUANTUM_ROUTER)}
    src, dst = "r0", f"r{sc.nodes - 1}"
    apps = {name: CountingApp(r, sc.pairs) for name, r in routers.items()}
    tl.init()
    start_ps = int(RESERVATION_START_S * SECOND)
    apps[src].start(dst, start_ps, int(1e5 * SECOND), 1, TARGET_FIDELITY)
    watchdog = Watchdog(tl, sc.wall_budget_s, int(sc.extra.get("watchdog_ms", 1) * MILLISECOND))
    watchdog.start()
    t1 = time.perf_counter()
    tl.run()
    t2 = time.perf_counter()
    c2 = time.process_time()
    app = apps[src]
    mean, lo, hi = fidelity_stats(app.fidelities)
    stopped = "pairs" if app.memory_counter >= sc.pairs else ("wall_budget" if watchdog.fired else "sim_end")
    return PeerResult(
        tool="SeQUeNCe", version=version("sequence"), nodes=sc.nodes, round=round_no,
        wall_s=t2 - t0, cpu_s=c2 - c0, setup_s=t1 - t0, delivered=app.memory_counter,
        sim_time_s=max(app.last_delivery_ps - start_ps, 0) * PS, events=tl.run_counter,
        fidelity_mean=mean, fidelity_min=lo, fidelity_max=hi, stopped_by=stopped,
        notes="nested swap order; events = executed timeline events (incl. watchdog)",
    )


def main() -> None:
    sc = Scenario.from_json(sys.argv[1])
    round_no = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    result = run(sc, round_no)
    result.notes += f"; import {IMPORT_S:.1f} s (not counted)"
    print(result.to_json())


if __name__ == "__main__":
    main()
