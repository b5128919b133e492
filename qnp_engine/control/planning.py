"""Signalling: group requests into virtual circuits, route them, set each circuit's cutoff and
per-link fidelity from its fidelity target, and admit or reject each request with a reason.

Requests aggregate into one circuit when they share end-points, QoS mode, fidelity target,
cutoff and basis rule (notes §1.10: one circuit per end-point pair and fidelity class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qnp_engine.control.budget import choose_cutoff, fidelity_bound, rate_estimate_hz
from qnp_engine.control.contention import blocking_warnings
from qnp_engine.control.routing import Router, fidelity_from_werner, link_models, network_graph, werner_parameter
from qnp_engine.model.scenario import Qos, Request, Scenario
from qnp_engine.physical.decoherence import MemoryNoise
from qnp_engine.physical.fibre import delay_s


@dataclass
class RequestPlan:
    request: str
    path: list[str]
    feasible: bool
    reason: str
    cutoff_s: float | None
    link_fidelity_required: float | None
    fidelity_bound: float
    rate_estimate_hz: float
    circuit: int | None = None
    warnings: list[str] = field(default_factory=list)  # admitted, but see these (e.g. circuits that can block)


@dataclass
class CircuitPlan:
    circuit_id: int
    path: list[str]
    link_indices: list[int]
    requests: list[Request] = field(default_factory=list)
    keep: bool = False
    cutoff_s: float | None = None
    link_min_fidelity: float = 0.0
    fidelity_bound: float = 1.0
    rate_estimate_hz: float = 0.0
    path_delay_s: float = 0.0


def memory_noise(node) -> MemoryNoise:
    m = node.memory
    return MemoryNoise(m.t1_s, m.t2_s, m.depolarizing_time_s)


def _class_key(r: Request) -> tuple:
    return (r.src, r.dst, r.qos, r.min_fidelity, r.cutoff_s, r.basis)


def plan_circuits(scenario: Scenario) -> tuple[list[CircuitPlan], list[RequestPlan]]:
    topo = scenario.topology
    sim = scenario.simulation
    models = link_models(scenario)
    graph = network_graph(scenario, models)
    nodes = {n.name: n for n in topo.nodes}
    circuits: dict[tuple, CircuitPlan] = {}
    plans: list[RequestPlan] = []
    router = Router(graph, sim.routing)
    bound_cache: dict[tuple, float] = {}
    for req in scenario.requests:
        path = router.route(req.src, req.dst)
        if path is None:
            plans.append(RequestPlan(req.name, [], False, f"no usable path between {req.src} and {req.dst}",
                                     None, None, 0.25, 0.0))
            continue
        idx = [graph.edges[u, v]["index"] for u, v in zip(path, path[1:], strict=False)]
        hop_models = [models[i] for i in idx]
        at_a = [topo.links[i].a == path[k] for k, i in enumerate(idx)]
        noises = [memory_noise(nodes[name]) for name in path]
        keep = req.qos is Qos.CREATE_AND_KEEP
        path_delay = sum(delay_s(topo.link_length_km(topo.links[i]), sim.light_speed_km_s) for i in idx)

        signature = (tuple(hop_models), tuple(at_a), tuple(noises), keep, path_delay)

        def bound(cutoff, hop_models=hop_models, at_a=at_a, noises=noises, keep=keep, path_delay=path_delay,
                  signature=signature):
            # Requests over equal hardware share the budget computation (many circuits, few kinds).
            key = (signature, cutoff)
            if key not in bound_cache:
                bound_cache[key] = fidelity_bound(hop_models, at_a, noises, cutoff, keep, path_delay,
                                                  sim.swap_time_s)
            return bound_cache[key]

        n = len(hop_models)
        link_required = None
        reason = ""
        feasible = True
        cutoff = req.cutoff_s
        if req.min_fidelity is not None:
            w_min = werner_parameter(req.min_fidelity)
            link_required = fidelity_from_werner(w_min ** (1.0 / n)) if w_min > 0 else 0.25
            if req.cutoff_s is None:
                cutoff, feasible = choose_cutoff(req.min_fidelity, bound)
                if not feasible:
                    reason = (f"min_fidelity {req.min_fidelity:.3f} cannot be met on path {'-'.join(path)}: "
                              f"even with no memory decay the delivered fidelity is {bound(0.0):.4f}")
            elif bound(req.cutoff_s) < req.min_fidelity:
                feasible = False
                best, ok = choose_cutoff(req.min_fidelity, bound)
                hint = f"; use cutoff_s <= {best:.3g}" if ok and best is not None else ""
                reason = (f"cutoff_s {req.cutoff_s:g} allows a worst-case fidelity of {bound(req.cutoff_s):.4f} "
                          f"< min_fidelity {req.min_fidelity:.3f}{hint}")
        fid_bound = bound(cutoff)
        rate = rate_estimate_hz(hop_models)
        plan = RequestPlan(req.name, path, feasible, reason, cutoff, link_required, fid_bound, rate)
        plans.append(plan)
        if not feasible:
            continue
        key = _class_key(req)
        vc = circuits.get(key) or CircuitPlan(len(circuits) + 1, path, idx, [], keep, cutoff, 0.0, fid_bound, rate,
                                              path_delay)
        # Admission control against the circuit's estimated capacity (notes §1.12).
        reserved = sum(r.rate_hz or 0.0 for r in vc.requests)
        if req.rate_hz is not None and reserved + req.rate_hz > vc.rate_estimate_hz * (1 + 1e-9):
            plan.feasible = False
            plan.reason = (f"rate_hz {req.rate_hz:g} exceeds the circuit's remaining capacity "
                           f"{max(vc.rate_estimate_hz - reserved, 0.0):.4g} Hz (estimated)")
            continue
        circuits[key] = vc
        vc.requests.append(req)
        plan.circuit = vc.circuit_id
    admitted = list(circuits.values())
    blocking = blocking_warnings(scenario, admitted)
    for plan in plans:
        if plan.circuit in blocking:
            plan.warnings.extend(blocking[plan.circuit])
    return admitted, plans


def plan_requests(scenario: Scenario) -> list[RequestPlan]:
    """One plan per request, in order: route, feasibility with a reason, cutoff, fidelity bound."""
    return plan_circuits(scenario)[1]


def tombstone_ttl_s(plan: CircuitPlan, jitter_s: float) -> float:
    if plan.cutoff_s is None:
        return math.inf
    n = len(plan.link_indices)
    return 2.0 * (n * plan.cutoff_s + 2 * plan.path_delay_s + 2 * n * jitter_s) + 1e-3
