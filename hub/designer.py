"""Design a scenario from a compact JSON description (for agents): chain, star, or explicit nodes/links.

Hub layer. The description is expanded into the scenario file format, validated by the model (field-named
errors come back as they are) and previewed with the control plane: route, feasibility, worst-case fidelity,
rate estimate and the asymptotic secret-key rate of each request.
"""

from __future__ import annotations

from typing import Any

from hub.jsonsafe import json_safe
from qnp_engine.apps import predicted_key_rate_hz
from qnp_engine.control import plan_requests
from qnp_engine.model import ScenarioError, dump_scenario, scenario_from_dict

_PASS_THROUGH = ("description", "defaults", "requests", "simulation")


def _chain(desc: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    ends = desc.get("end_nodes") or ["A", "B"]
    if not isinstance(ends, list) or len(ends) != 2:
        raise ValueError("end_nodes: a chain has exactly two end nodes")
    n = desc.get("repeaters", 1)
    if not isinstance(n, int) or not 0 <= n <= 64:
        raise ValueError("repeaters: must be a whole number between 0 and 64")
    names = [str(ends[0])] + [f"R{i + 1}" for i in range(n)] + [str(ends[1])]
    nodes = [{"name": name, "role": "end" if i in (0, len(names) - 1) else "repeater", "x": float(i), "y": 0.0}
             for i, name in enumerate(names)]
    links = [{"a": a, "b": b} for a, b in zip(names, names[1:], strict=False)]
    return nodes, links


def _star(desc: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    ends = desc.get("end_nodes") or ["A", "B", "C"]
    if not isinstance(ends, list) or len(ends) < 2:
        raise ValueError("end_nodes: a star needs at least two end nodes")
    centre = str(desc.get("centre", "HUB"))
    nodes = [{"name": centre, "role": "repeater", "x": 0.0, "y": 0.0}]
    nodes += [{"name": str(e), "role": "end", "x": float(i), "y": 1.0} for i, e in enumerate(ends)]
    return nodes, [{"a": centre, "b": str(e)} for e in ends]


def expand(desc: dict[str, Any]) -> dict[str, Any]:
    """The scenario document a description stands for (not yet validated)."""
    if not isinstance(desc, dict):
        raise ValueError("description: must be a JSON object")
    doc: dict[str, Any] = {"name": desc.get("name", "designed")}
    doc.update({k: desc[k] for k in _PASS_THROUGH if k in desc})
    if "nodes" in desc:
        doc["nodes"], doc["links"] = desc["nodes"], desc.get("links", [])
    else:
        shape = desc.get("shape", "chain")
        if shape not in ("chain", "star"):
            raise ValueError("shape: must be 'chain' or 'star' (or give 'nodes' and 'links')")
        doc["nodes"], doc["links"] = (_chain if shape == "chain" else _star)(desc)
    if "link" in desc:
        if not isinstance(desc["link"], dict):
            raise ValueError("link: must be an object of link parameters")
        defaults = dict(doc.get("defaults") or {})
        defaults["link"] = {**(defaults.get("link") or {}), **desc["link"]}
        doc["defaults"] = defaults
    if "requests" not in doc:
        ends = [n["name"] for n in doc["nodes"] if isinstance(n, dict) and n.get("role") == "end"]
        if len(ends) >= 2:
            doc["requests"] = [{"name": f"{ends[0]}-{ends[-1]}", "src": ends[0], "dst": ends[-1], "pairs": 1000}]
    return doc


def design(desc: Any) -> dict[str, Any]:
    try:
        doc = expand(desc)
        scenario = scenario_from_dict(doc)
    except ValueError as exc:
        errors = ([{"field": e.path, "message": e.message} for e in exc.errors] if isinstance(exc, ScenarioError)
                  else [{"field": "", "message": str(exc)}])
        return {"valid": False, "errors": errors}
    plans = []
    for plan in plan_requests(scenario):
        plans.append({
            "request": plan.request, "path": list(plan.path), "feasible": plan.feasible, "reason": plan.reason,
            "fidelity_bound": plan.fidelity_bound, "rate_estimate_hz": plan.rate_estimate_hz,
            "predicted_key_rate_hz": predicted_key_rate_hz(plan.fidelity_bound, plan.rate_estimate_hz)
            if plan.feasible else 0.0,
        })
    t = scenario.topology
    summary = {"name": t.name, "nodes": len(t.nodes), "links": len(t.links), "requests": len(scenario.requests)}
    return json_safe({"valid": True, "errors": [], "yaml": dump_scenario(scenario), "summary": summary, "plans": plans})
