"""SimQN (qns 0.2.3) side of the peer benchmark (bench layer; runs in bench/peers/.venvs/simqn, Python 3.11).

Usage: python peer_simqn.py '<Scenario JSON>' ROUND  -> prints one PeerResult JSON line.

Written in the style of SimQN's ``examples/entanglement_distribution_line_topo.py``: a line of QNodes,
``EntanglementDistributionApp`` on every node, Werner-state pairs (``WernerStateEntanglement``, swap
w' = w1 w2), memory decay ``w *= exp(-t * decoherence_rate)`` applied when a pair is read, Dijkstra
routing. The app distributes hop by hop: the source sends half of a fresh pair to the next node, which
stores it with a fresh pair of its own and asks the upstream node to swap, and so on to the destination.

Changes needed to run the shared scenario, all in the subclass below:
* quantum channels get ``bandwidth=0`` (unlimited; SimQN's default is 1 qubit/s);
* heralding: SimQN has no midpoint station; a photon is lost with ``drop_rate = 1 - p`` and, because a
  lost photon otherwise leaves a stale pair in the sender's memory forever, the channel tells the
  sender after the herald's round trip (2 L / c), and the sender discards the stale pair and retries
  that hop with a fresh one;
* closed loop instead of a fixed ``send_rate``: the source starts the next end-to-end distribution when
  the previous one is confirmed (one pair per link in flight, as ``qubits_per_link: 1`` elsewhere);
* cutoff: a distribution not finished ``cutoff_s`` after it started is discarded at every node.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario import PeerResult, Scenario, fidelity_stats  # noqa: E402

T_IMPORT = time.perf_counter()
from qns.entity.cchannel.cchannel import ClassicChannel  # noqa: E402
from qns.entity.memory.memory import QuantumMemory  # noqa: E402
from qns.entity.node.node import QNode  # noqa: E402
from qns.entity.qchannel.qchannel import QuantumChannel  # noqa: E402
from qns.network import QuantumNetwork  # noqa: E402
from qns.network.protocol.entanglement_distribution import EntanglementDistributionApp, Transmit  # noqa: E402
from qns.network.route.dijkstra import DijkstraRouteAlgorithm  # noqa: E402
from qns.simulator.event import func_to_event  # noqa: E402
from qns.simulator.pool import DefaultEventPool  # noqa: E402
from qns.simulator.simulator import Simulator  # noqa: E402
from qns.utils.rnd import set_seed  # noqa: E402

IMPORT_S = time.perf_counter() - T_IMPORT
ACCURACY = 1_000_000_000  # time slots per second (1 ns)


class CountingPool(DefaultEventPool):
    """SimQN counts scheduled events only; this counts executed ones, like the other tools."""

    executed = 0

    def next_event(self):
        event = super().next_event()
        if event is not None:
            self.executed += 1
        return event

    def stop(self) -> None:
        self.event_list.clear()


class HeraldedQuantumChannel(QuantumChannel):
    """QuantumChannel whose sender hears about a lost photon (the herald's 'no click') after 2 L / c."""

    herald_s: float = 0.0

    def send(self, qubit, next_hop) -> None:
        before = self._simulator.total_events
        super().send(qubit, next_hop)
        if self._simulator.total_events == before:  # dropped: SimQN scheduled no receive event
            sender = self.node_list[0] if self.node_list[1] is next_hop else self.node_list[1]
            app = sender.get_apps(HeraldedDistributionApp)[0]
            t = self._simulator.tc + self._simulator.time(sec=self.herald_s)
            self._simulator.add_event(func_to_event(t, app.photon_lost, None, app, qubit))


class Shared:
    """Run-wide bookkeeping: targets, results and the distributions discarded by the cutoff."""

    def __init__(self, sc: Scenario, pool: CountingPool):
        self.sc = sc
        self.pool = pool
        self.cancelled: set[str] = set()
        self.delivered_ids: set[str] = set()
        self.fidelities: list[float] = []
        self.expired = 0
        self.last_delivery_s = 0.0
        self.budget_hit = False
        self.t0 = time.perf_counter()


class HeraldedDistributionApp(EntanglementDistributionApp):
    shared: Shared

    # -- source: closed loop with a cutoff ---------------------------------------------------
    def new_distribution(self) -> None:
        epr = self.generate_qubit(self.own, self.dst, None)
        tid = epr.transmit_id
        self.state[tid] = Transmit(id=tid, src=self.own, dst=self.dst, second_epr_name=epr.name)
        self.memory.write(epr)
        self.send_count += 1
        t = self._simulator.tc + self._simulator.time(sec=self.shared.sc.cutoff_s)
        self._simulator.add_event(func_to_event(t, self.cutoff, None, self, tid))
        self.request_distrbution(tid)

    def cutoff(self, tid: str) -> None:
        sh = self.shared
        if self.state.get(tid) is None or tid in sh.delivered_ids:
            return
        sh.cancelled.add(tid)
        sh.expired += 1
        for node in self.net.nodes:
            app = node.get_apps(HeraldedDistributionApp)[0]
            transmit = app.state.pop(tid, None)
            if transmit is not None:
                for name in (transmit.first_epr_name, transmit.second_epr_name):
                    if name is not None:
                        app.memory.read(name)
        self.new_distribution()

    # -- heralded retry of one hop ------------------------------------------------------------
    def photon_lost(self, epr) -> None:
        tid = epr.transmit_id
        transmit = self.state.get(tid)
        if transmit is None or tid in self.shared.cancelled:
            return
        self.memory.read(epr.name)  # the stale entry SimQN would otherwise keep
        fresh = self.generate_qubit(transmit.src, transmit.dst, tid)
        self.memory.write(fresh)
        transmit.second_epr_name = fresh.name
        self.request_distrbution(tid)

    # -- receive paths: ignore distributions discarded by the cutoff --------------------------
    def RecvQubitHandler(self, node, event) -> None:
        if self.shared.cancelled and event.qubit.transmit_id in self.shared.cancelled:
            return
        self.response_distribution(event)

    def RecvClassicPacketHandler(self, node, event) -> None:
        packet = event.packet
        msg = packet.get()
        packet.get = lambda: msg  # parse SimQN's JSON once
        tid = msg["transmit_id"]
        if self.shared.cancelled and tid in self.shared.cancelled:
            return
        if msg["cmd"] == "next" and self.own == self.state[tid].dst:
            self.shared.delivered_ids.add(tid)
        if msg["cmd"] == "succ":
            self.source_confirmed(tid)
            return
        self.handle_response(event)

    def source_confirmed(self, tid: str) -> None:
        """The source reads its half (SimQN applies the source-side memory decay now) and starts over."""
        sh = self.shared
        transmit = self.state[tid]
        pair = self.memory.read(transmit.second_epr_name)
        self.state[tid] = None
        self.success_count += 1
        sh.fidelities.append(float(pair.fidelity))
        sh.last_delivery_s = self._simulator.tc.sec
        if len(sh.fidelities) >= sh.sc.pairs:
            sh.pool.stop()
        elif time.perf_counter() - sh.t0 > sh.sc.wall_budget_s:
            sh.budget_hit = True
            sh.pool.stop()
        else:
            self.new_distribution()


def build(sc: Scenario, sim: Simulator, shared: Shared) -> QuantumNetwork:
    HeraldedDistributionApp.shared = shared
    HeraldedQuantumChannel.herald_s = 2 * sc.link_delay_s
    net = QuantumNetwork(route=DijkstraRouteAlgorithm())
    nodes = []
    for i in range(sc.nodes):
        node = QNode(f"n{i + 1}")
        node.add_apps(HeraldedDistributionApp(init_fidelity=sc.raw_fidelity))
        node.add_memory(QuantumMemory(name=f"m{i + 1}", node=node, capacity=0,
                                      decoherence_rate=1.0 / sc.coherence_time_s if sc.memory_noise else 0.0))
        net.add_node(node)
        nodes.append(node)
    for i in range(sc.links):
        a, b = nodes[i], nodes[i + 1]
        qc = HeraldedQuantumChannel(name=f"q{i + 1}", bandwidth=0, delay=sc.link_delay_s,
                                    drop_rate=1.0 - sc.success_probability, length=sc.link_km)
        a.add_qchannel(qc)
        b.add_qchannel(qc)
        net.add_qchannel(qc)
        cc = ClassicChannel(name=f"c{i + 1}", delay=sc.link_delay_s, length=sc.link_km)
        a.add_cchannel(cc)
        b.add_cchannel(cc)
        net.add_cchannel(cc)
    if sc.nodes > 2:  # the destination's 'succ' goes straight back to the source
        cc = ClassicChannel(name="c-end", delay=sc.links * sc.link_delay_s, length=sc.links * sc.link_km)
        nodes[0].add_cchannel(cc)
        nodes[-1].add_cchannel(cc)
        net.add_cchannel(cc)
    net.build_route()
    net.add_request(src=nodes[0], dest=nodes[-1], attr={"send_rate": 1})  # send_rate unused: closed loop
    net.install(sim)
    return net


def run(sc: Scenario, round_no: int) -> PeerResult:
    t0 = time.perf_counter()
    c0 = time.process_time()
    set_seed(sc.seed)
    sim = Simulator(0, 1.0e4, accuracy=ACCURACY, pool_cls=CountingPool)
    pool: CountingPool = sim.event_pool  # type: ignore[assignment]
    shared = Shared(sc, pool)
    build(sc, sim, shared)
    t1 = time.perf_counter()
    shared.t0 = t0
    sim.run()
    t2 = time.perf_counter()
    c2 = time.process_time()
    mean, lo, hi = fidelity_stats(shared.fidelities)
    delivered = len(shared.fidelities)
    stopped = "pairs" if delivered >= sc.pairs else ("wall_budget" if shared.budget_hit else "sim_end")
    return PeerResult(
        tool="SimQN", version=version("qns"), nodes=sc.nodes, round=round_no,
        wall_s=t2 - t0, cpu_s=c2 - c0, setup_s=t1 - t0, delivered=delivered, sim_time_s=shared.last_delivery_s,
        events=pool.executed, fidelity_mean=mean, fidelity_min=lo, fidelity_max=hi, stopped_by=stopped,
        notes=f"hop-by-hop distribution; {shared.expired} expired by cutoff; import {IMPORT_S:.1f} s (not counted)",
    )


def main() -> None:
    sc = Scenario.from_json(sys.argv[1])
    round_no = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(run(sc, round_no).to_json())


if __name__ == "__main__":
    main()
