"""Cross-field validation: names, endpoints, duplicates and reachability.

Per-field ranges are checked by pydantic in ``topology.py``/``scenario.py``; this module checks
what needs the whole file, and reports every problem with its field path.
"""

from __future__ import annotations

import networkx as nx

from qnp_engine.model.errors import FieldError
from qnp_engine.model.scenario import Scenario
from qnp_engine.model.topology import LinkModel, NodeRole, Topology


def topology_graph(topology: Topology) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from(n.name for n in topology.nodes)
    for i, link in enumerate(topology.links):
        g.add_edge(link.a, link.b, index=i)
    return g


def check_topology(topology: Topology) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, node in enumerate(topology.nodes):
        if node.name in seen:
            first = seen[node.name]
            errors.append(FieldError(f"nodes[{i}].name", f"duplicate node name '{node.name}' (also nodes[{first}])"))
        seen.setdefault(node.name, i)
    pairs: dict[frozenset[str], int] = {}
    for i, link in enumerate(topology.links):
        for end in ("a", "b"):
            name = getattr(link, end)
            if name not in seen:
                errors.append(FieldError(f"links[{i}].{end}", f"unknown node '{name}'"))
        if link.a == link.b:
            errors.append(FieldError(f"links[{i}]", f"self-loop: both ends are '{link.a}'"))
            continue
        key = frozenset((link.a, link.b))
        if key in pairs:
            errors.append(FieldError(f"links[{i}]", f"duplicate link {link.a}-{link.b} (also links[{pairs[key]}])"))
        pairs.setdefault(key, i)
        if link.model is not LinkModel.ABSTRACT and link.length_km is None:
            a, b = link.a, link.b
            geo = a in seen and b in seen and topology.node(a).has_geo and topology.node(b).has_geo
            if not geo:
                errors.append(FieldError(
                    f"links[{i}].length_km",
                    f"required for model '{link.model.value}' when the nodes have no lat/lon",
                ))
    return errors


def check_scenario(scenario: Scenario) -> list[FieldError]:
    topology = scenario.topology
    errors = check_topology(topology)
    names = {n.name: n for n in topology.nodes}
    graph = topology_graph(topology) if not errors else None
    seen: dict[str, int] = {}
    for i, req in enumerate(scenario.requests):
        if req.name in seen:
            errors.append(FieldError(f"requests[{i}].name", f"duplicate request name '{req.name}'"))
        seen.setdefault(req.name, i)
        ok = True
        for end in ("src", "dst"):
            name = getattr(req, end)
            if name not in names:
                errors.append(FieldError(f"requests[{i}].{end}", f"unknown node '{name}'"))
                ok = False
            elif names[name].role is not NodeRole.END:
                errors.append(FieldError(f"requests[{i}].{end}", f"node '{name}' is a repeater, not an end node"))
                ok = False
        if ok and graph is not None and not nx.has_path(graph, req.src, req.dst):
            errors.append(FieldError(f"requests[{i}]", f"no path between '{req.src}' and '{req.dst}'"))
        if req.deadline_s is not None and req.deadline_s <= req.start_s:
            errors.append(FieldError(f"requests[{i}].deadline_s", "must be later than start_s"))
    return errors
