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


_WEIGHTS = {RoutingMetric.FIDELITY: "neg_log_w", RoutingMetric.HOPS: "hops", RoutingMetric.LENGTH: "length"}


class Router:
    """Shortest paths with one Dijkstra per source node, shared by every request from it (a large
    network with many circuits needs as many Dijkstras as it has sources, not requests)."""

    def __init__(self, graph: nx.Graph, metric: RoutingMetric) -> None:
        self.graph = graph
        self.metric = metric
        self._paths: dict[str, dict[str, list[str]]] = {}

    def route(self, src: str, dst: str) -> list[str] | None:
        paths = self._paths.get(src)
        if paths is None:
            paths = self._paths[src] = nx.single_source_dijkstra_path(self.graph, src, weight=_WEIGHTS[self.metric])
        path = paths.get(dst)
        return None if path is None else _usable(self.graph, path, self.metric)


def route(graph: nx.Graph, src: str, dst: str, metric: RoutingMetric) -> list[str] | None:
    try:
        path = nx.shortest_path(graph, src, dst, weight=_WEIGHTS[metric])
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    return _usable(graph, path, metric)


def _usable(graph: nx.Graph, path: list[str], metric: RoutingMetric) -> list[str] | None:
    """A fidelity route through a link with w <= 0 (F <= 1/4) cannot deliver entanglement."""
    if metric is RoutingMetric.FIDELITY and any(
        math.isinf(graph.edges[u, v]["neg_log_w"]) for u, v in zip(path, path[1:], strict=False)
    ):
        return None
    return path
