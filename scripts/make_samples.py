"""Regenerate the generated sample topologies (chain-9, random-100) deterministically."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import yaml

OUT = Path(__file__).resolve().parent.parent / "sample_topologies"


def chain_9() -> dict:
    names = ["A"] + [f"R{i}" for i in range(1, 8)] + ["B"]
    return {
        "name": "chain-9",
        "description": "Nine nodes, eight 10 km single-click links; memories with T2 = 1 s and a cutoff.",
        "defaults": {
            "link": {"model": "single_click", "length_km": 10, "alpha": 0.05, "detection_efficiency": 0.8,
                     "cycle_time_s": 1.0e-5},
            "node": {"memory": {"qubits_per_link": 2, "t1_s": 10.0, "t2_s": 1.0}},
        },
        "nodes": [{"name": n, "role": "end" if n in ("A", "B") else "repeater", "x": i, "y": 0}
                  for i, n in enumerate(names)],
        "links": [{"a": a, "b": b} for a, b in zip(names, names[1:], strict=False)],
        "requests": [{"name": "ab", "src": "A", "dst": "B", "qos": "measure_directly", "min_fidelity": 0.5,
                      "pairs": 200, "cutoff_s": 0.05}],
        "simulation": {"seed": 1, "max_time_s": 20},
    }


def random_100(seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    n, radius, side_km = 100, 0.16, 200.0
    while True:
        pos = {i: tuple(rng.random(2)) for i in range(n)}
        g = nx.random_geometric_graph(n, radius, pos=pos)
        if nx.is_connected(g):
            break
    ends = sorted(int(i) for i in rng.choice(n, size=20, replace=False))
    name = {i: (f"E{i:02d}" if i in ends else f"R{i:02d}") for i in range(n)}
    nodes = [{"name": name[i], "role": "end" if i in ends else "repeater",
              "x": round(float(pos[i][0]) * side_km, 3), "y": round(float(pos[i][1]) * side_km, 3)} for i in range(n)]
    links = []
    for u, v in sorted(g.edges()):
        d = float(math.dist(pos[u], pos[v])) * side_km
        links.append({"a": name[u], "b": name[v], "length_km": round(d, 3)})
    requests = []
    for k in range(10):
        s, d = rng.choice(ends, size=2, replace=False)
        requests.append({"name": f"r{k}", "src": name[int(s)], "dst": name[int(d)], "qos": "measure_directly",
                         "pairs": 50, "cutoff_s": 0.01})
    return {
        "name": "random-100",
        "description": "100-node random geometric network (200 km square) for scale tests; 20 end nodes.",
        "defaults": {
            "link": {"model": "double_click", "detection_efficiency": 0.9, "cycle_time_s": 1.0e-5},
            "node": {"memory": {"qubits_per_link": 2, "t1_s": 10.0, "t2_s": 1.0}},
        },
        "nodes": nodes, "links": links, "requests": requests,
        "simulation": {"seed": 1, "max_time_s": 5},
    }


def main() -> None:
    for doc in (chain_9(), random_100()):
        text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=110)
        (OUT / f"{doc['name']}.yaml").write_text(text)


if __name__ == "__main__":
    main()
