"""Scenario -> wired network (compile once): routes, circuits, link layers, per-node QNP entities.

The only module that knows every layer; it injects the callbacks each layer uses to talk to the
one above and the classical channel between neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

from qnp_engine.backends.base import StateBackend
from qnp_engine.control.planning import CircuitPlan, RequestPlan, memory_noise, plan_circuits, tombstone_ttl_s
from qnp_engine.control.routing import link_models
from qnp_engine.kernel.scheduler import Scheduler
from qnp_engine.link.link_layer import LinkLayer
from qnp_engine.link.memory import MemoryPool
from qnp_engine.link.qubits import QuantumOps
from qnp_engine.model.scenario import Qos, Scenario
from qnp_engine.network.circuit import NetworkContext, RequestSpec, VirtualCircuit
from qnp_engine.network.end_node import EndNode, HeadEnd, TailEnd
from qnp_engine.network.intermediate import Intermediate
from qnp_engine.network.messages import Expire, Track
from qnp_engine.network.qnp_node import QnpNode
from qnp_engine.physical.fibre import delay_s
from qnp_engine.sim.collector import DeliveryCollector, RequestStats

_new = tuple.__new__  # a NamedTuple from a full tuple of fields, without its Python-level __new__
_BASES = {"Z": ("Z",), "X": ("X",), "Y": ("Y",), "XZ": ("X", "Z"), "XYZ": ("X", "Y", "Z")}


@dataclass
class Network:
    sched: Scheduler
    ops: QuantumOps
    links: list[LinkLayer]
    pools: dict[str, list[MemoryPool]]
    nodes: dict[str, QnpNode]
    circuits: list[VirtualCircuit]
    heads: dict[int, HeadEnd]
    intermediates: list[Intermediate]
    plans: list[RequestPlan]
    collector: DeliveryCollector


def build_network(scenario: Scenario, backend: StateBackend, keep_outcomes: bool = False,
                  keep_states: int = 0) -> Network:
    topo = scenario.topology
    settings = scenario.simulation
    sched = Scheduler(settings.seed)
    ops = QuantumOps(backend, sched)
    models = link_models(scenario)
    node_specs = {n.name: n for n in topo.nodes}
    pools: dict[str, list[MemoryPool]] = {n.name: [] for n in topo.nodes}
    links: list[LinkLayer] = []
    nodes = {n.name: QnpNode(n.name) for n in topo.nodes}
    delays: dict[tuple[str, str], float] = {}
    for i, spec in enumerate(topo.links):
        pa = MemoryPool(spec.a, node_specs[spec.a].memory.qubits_per_link)
        pb = MemoryPool(spec.b, node_specs[spec.b].memory.qubits_per_link)
        pools[spec.a].append(pa)
        pools[spec.b].append(pb)
        link = LinkLayer(i, sched, ops, spec.a, spec.b, models[i], pa, pb,
                         memory_noise(node_specs[spec.a]), memory_noise(node_specs[spec.b]),
                         strict_priority=spec.scheduler == "priority")
        links.append(link)
        nodes[spec.a].attach(link)
        nodes[spec.b].attach(link)
        d = delay_s(topo.link_length_km(spec), settings.light_speed_km_s)
        delays[(spec.a, spec.b)] = delays[(spec.b, spec.a)] = d

    collector = DeliveryCollector(ops, keep_outcomes, keep_states, settings.seed)
    jitter = settings.message_jitter_s

    def follow(frm: str, to: str, track: Track, d: float, role: EndNode | Intermediate | None,
               jittered: bool) -> tuple[str, str, Track, float, EndNode | Intermediate | None]:
        """Follow a TRACK sent ``frm`` -> ``to`` (``role`` there) through the repeaters that have already
        swapped its pair: each would only forward it, changing the Bell index and the link sequence number,
        so one event at the first node with work to do (or the end node) replaces one event per hop, with
        the same sum of hop delays. Returns where it stops: (sender, node, TRACK, delay, role there)."""
        circuit = track.circuit
        bell, seq, hops = track.bell_index, track.link_seq, 0
        while type(role) is Intermediate:
            hop = role.relay(frm, seq)
            if hop is None:
                break
            frm = to
            to, flip, seq = hop
            bell ^= flip
            hops += 1
            d += delays[(frm, to)]
            if jittered:
                d += jitter * sched.uniform()
            role = nodes[to].circuits.get(circuit)
        if hops:  # the TRACK is written once, where it stops
            track = _new(Track, (circuit, track.pair_id, bell, seq, track.from_head, track.assignment,
                                 track.t_origin))
        return frm, to, track, d, role

    def send(frm: str, to: str, msg, at: float | None = None, delay: float = 0.0) -> None:
        """Classical message ``frm`` -> ``to`` (neighbours), sent now or, for a TRACK that waited
        at ``frm``, at ``at`` plus the ``delay`` it had already travelled from there."""
        if jitter:
            _send_jittered(frm, to, msg)
            return
        base = sched.now if at is None else at
        d = delay + delays[(frm, to)]
        if type(msg) is Track:
            stop = nodes[to].circuits.get(msg.circuit)
            if type(stop) is Intermediate:
                frm, to, msg, d, stop = follow(frm, to, msg, d, stop, False)
                # Not swapped there yet: the TRACK is parked until the swap (or the cutoff) takes it on,
                # still without an event of its own.
                if isinstance(stop, Intermediate) and stop.park(msg, frm, base, d):
                    return
            if isinstance(stop, EndNode):
                sched.call_at(base + d, stop.on_track, msg)
                return
        sched.call_at(base + d, nodes[to].receive, msg, frm)

    def _send_jittered(frm: str, to: str, msg) -> None:
        # TRACK/EXPIRE delays get random extra delay, drawn hop by hop: the protocol must not depend
        # on message order. No parking here (a parked TRACK would draw its jitter out of turn).
        d = delays[(frm, to)]
        if isinstance(msg, (Track, Expire)):
            d += jitter * sched.uniform()
        if type(msg) is Track:
            role = nodes[to].circuits.get(msg.circuit)
            frm, to, msg, d, _ = follow(frm, to, msg, d, role, True)
        sched.call_after(d, nodes[to].receive, msg, frm)

    ctx = NetworkContext(sched, ops, send, collector.deliver, collector.request_event)
    circuit_plans, plans = plan_circuits(scenario)
    req_by_name = {r.name: r for r in scenario.requests}
    for plan in plans:
        r = req_by_name[plan.request]
        stats = RequestStats(r.name, r.src, r.dst, plan.path, r.start_s, circuit=plan.circuit,
                             pending_total=r.pairs)
        if not plan.feasible:
            stats.status, stats.reason = "rejected", plan.reason
        collector.requests[r.name] = stats
    next_label = [0] * len(links)
    circuits, heads, intermediates = [], {}, []
    for cp in circuit_plans:
        vc = _install(cp, links, next_label, nodes, ctx, scenario, jitter, heads, intermediates)
        collector.heads[vc.circuit_id] = vc.head
        circuits.append(vc)
    return Network(sched, ops, links, pools, nodes, circuits, heads, intermediates, plans, collector)


def _install(cp: CircuitPlan, links, next_label, nodes, ctx, scenario, jitter, heads, intermediates) -> VirtualCircuit:
    labels = []
    for i in cp.link_indices:
        next_label[i] += 1
        labels.append(next_label[i])
    first = cp.requests[0]
    vc = VirtualCircuit(
        circuit_id=cp.circuit_id, path=tuple(cp.path), links=tuple(links[i] for i in cp.link_indices),
        labels=tuple(labels), keep=first.qos is Qos.CREATE_AND_KEEP, bases=_BASES[first.basis.value],
        cutoff_s=cp.cutoff_s, weight=sum(r.weight for r in cp.requests), link_min_fidelity=cp.link_min_fidelity,
        requests=[RequestSpec(r.name, r.pairs, r.rate_hz, r.start_s,
                              None if r.deadline_s is None else r.deadline_s, r.test_round_probability)
                  for r in cp.requests],
    )
    head = HeadEnd(ctx, vc)
    tail = TailEnd(ctx, vc)
    heads[vc.circuit_id] = head
    nodes[vc.head].install(vc.circuit_id, head, [(vc.links[0].index, labels[0], None)])
    nodes[vc.tail].install(vc.circuit_id, tail, [(vc.links[-1].index, labels[-1], None)])
    ttl = tombstone_ttl_s(cp, jitter)
    for pos in range(1, len(vc.path) - 1):
        mid = Intermediate(ctx, vc, pos, ttl, scenario.simulation.swap_time_s)
        intermediates.append(mid)
        nodes[vc.path[pos]].install(vc.circuit_id, mid, [
            (vc.links[pos - 1].index, labels[pos - 1], 0),
            (vc.links[pos].index, labels[pos], 1),
        ])
    return vc
