"""Readable text summary of a scenario for ``qnp show``: nodes, links with derived physics,
requests with the route and budget the control plane would pick."""

from __future__ import annotations

import math

from qnp_engine.control import plan_requests
from qnp_engine.model import Scenario
from qnp_engine.physical.fibre import transmissivity
from qnp_engine.physical.heralding import attempt_model


def _fmt_time(t: float) -> str:
    return "inf" if math.isinf(t) else f"{t:g} s"


def render_summary(scenario: Scenario) -> str:
    topo = scenario.topology
    c = scenario.simulation.light_speed_km_s
    out = [f"{topo.name}: {len(topo.nodes)} nodes, {len(topo.links)} links, {len(scenario.requests)} requests"]
    if topo.description:
        out.append(f"  {topo.description}")
    out.append("\nNodes")
    for n in topo.nodes:
        m = n.memory
        where = f"lat {n.lat}, lon {n.lon}" if n.has_geo else f"x {n.x}, y {n.y}"
        out.append(f"  {n.name:<14} {n.role.value:<9} {m.qubits_per_link} qubit(s)/link  T1 {_fmt_time(m.t1_s)}"
                   f"  T2 {_fmt_time(m.t2_s)}  ({where})")
    out.append("\nLinks")
    out.append(f"  {'link':<24} {'model':<13} {'km':>8} {'eta':>9} {'p/attempt':>10} {'attempt':>10} "
               f"{'F':>7} {'pairs/s':>10}")
    for link in topo.links:
        length = topo.link_length_km(link)
        model = attempt_model(link, length, c)
        eta = transmissivity(length, link.attenuation_db_per_km)
        out.append(f"  {link.a + '-' + link.b:<24} {link.model.value:<13} {length:8.2f} {eta:9.4g} "
                   f"{model.success_probability:10.4g} {model.attempt_time_s:10.3g} {model.fidelity:7.4f} "
                   f"{1 / model.mean_pair_time_s:10.4g}")
    if scenario.requests:
        out.append("\nRequests")
        for req, plan in zip(scenario.requests, plan_requests(scenario), strict=True):
            head = (f"  {req.name}: {req.src} -> {req.dst}  {req.qos.value}"
                    f"  min_fidelity {req.min_fidelity if req.min_fidelity is not None else '-'}"
                    f"  pairs {req.pairs if req.pairs is not None else '-'}")
            out.append(head)
            if plan.path:
                out.append(f"    path {' - '.join(plan.path)} ({len(plan.path) - 1} hops)")
            status = "feasible" if plan.feasible else f"REJECTED: {plan.reason}"
            cutoff = f"{plan.cutoff_s:.4g} s" if plan.cutoff_s is not None else "none"
            need = f"{plan.link_fidelity_required:.4f}" if plan.link_fidelity_required is not None else "-"
            out.append(f"    {status}; cutoff {cutoff}; per-link fidelity needed {need}; "
                       f"worst-case fidelity {plan.fidelity_bound:.4f}; est. rate {plan.rate_estimate_hz:.4g} Hz")
            out.extend(f"    warning: {w}" for w in plan.warnings)
    return "\n".join(out)
