"""Path computation over the topology (networkx).

Default metric: maximise the product of link Werner parameters w = (4F - 1)/3, i.e. a shortest
path with additive weights -log w (swapping Werner states multiplies w, notes R2). Alternatives:
fewest hops, shortest fibre.
"""

from __future__ import annotations

import math

import networkx as nx

from qnp_engine.model.scenario import RoutingMetric, Scenario
from qnp_engine.physical.heralding import AttemptModel, attempt_model


def werner_parameter(fidelity: float) -> float:
    return (4.0 * fidelity - 1.0) / 3.0


def fidelity_from_werner(w: float) -> float:
    return (1.0 + 3.0 * w) / 4.0


def link_models(scenario: Scenario) -> list[AttemptModel]:
    topo = scenario.topology
    c = scenario.simulation.light_speed_km_s
    return [attempt_model(link, topo.link_length_km(link), c) for link in topo.links]


def network_graph(scenario: Scenario, models: list[AttemptModel]) -> nx.Graph:
    g = nx.Graph()
    topo = scenario.topology
    g.add_nodes_from(n.name for n in topo.nodes)
    for i, link in enumerate(topo.links):
        w = werner_parameter(models[i].fidelity)
        g.add_edge(link.a, link.b, index=i,
                   neg_log_w=-math.log(w) if w > 0 else math.inf,
                   length=topo.link_length_km(link), hops=1)
    return g


def route(graph: nx.Graph, src: str, dst: str, metric: RoutingMetric) -> list[str] | None:
    weight = {RoutingMetric.FIDELITY: "neg_log_w", RoutingMetric.HOPS: "hops", RoutingMetric.LENGTH: "length"}[metric]
    try:
        path = nx.shortest_path(graph, src, dst, weight=weight)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    if metric is RoutingMetric.FIDELITY and any(
        math.isinf(graph.edges[u, v]["neg_log_w"]) for u, v in zip(path, path[1:], strict=False)
    ):
        return None
    return path
