"""Scale check for the engine's design goal (issue 3/4): a 1,000-node network with thousands of
concurrent virtual circuits. Prints build time (routing, budgets, circuit installation), events per
CPU-second over a short simulated interval, and memory per circuit; the baseline in the same
process is the same network with 10 % of the circuits (per-event work must not grow with size).

Usage: python bench/network_scale.py [--nodes 1000] [--circuits 2000] [--sim-time 0.002]
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import networkx as nx
import numpy as np

from qnp_engine.model import scenario_from_dict
from qnp_engine.sim import Simulation


def scenario(nodes: int, circuits: int, seed: int = 1, sim_time: float = 0.002) -> dict:
    rng = np.random.default_rng(seed)
    radius = math.sqrt(8.0 / (math.pi * nodes))  # about 8 neighbours each
    while True:
        pos = {i: tuple(rng.random(2)) for i in range(nodes)}
        g = nx.random_geometric_graph(nodes, radius, pos=pos)
        if nx.is_connected(g):
            break
    ends = set(int(i) for i in rng.choice(nodes, size=nodes // 5, replace=False))
    name = {i: (f"E{i}" if i in ends else f"R{i}") for i in range(nodes)}
    ends_list = sorted(ends)
    requests = []
    for k in range(circuits):
        a, b = rng.choice(ends_list, size=2, replace=False)
        requests.append({"name": f"r{k}", "src": name[int(a)], "dst": name[int(b)], "cutoff_s": 0.01})
    return {
        "name": f"scale-{nodes}-{circuits}",
        "defaults": {"link": {"model": "abstract", "success_probability": 0.05, "fidelity": 0.98,
                              "attempt_time_s": 1e-5},
                     "node": {"memory": {"qubits_per_link": 4, "t2_s": 1.0, "t1_s": math.inf}}},
        "nodes": [{"name": name[i], "role": "end" if i in ends else "repeater",
                   "x": float(pos[i][0]) * 500, "y": float(pos[i][1]) * 500} for i in range(nodes)],
        "links": [{"a": name[u], "b": name[v], "length_km": round(float(math.dist(pos[u], pos[v])) * 500, 3)}
                  for u, v in g.edges()],
        "requests": requests,
        "simulation": {"seed": seed, "max_time_s": sim_time},
    }


def measure(nodes: int, circuits: int, sim_time: float) -> tuple[float, float, float, int]:
    doc = scenario(nodes, circuits, sim_time=sim_time)
    s = scenario_from_dict(doc)
    tracemalloc.start()
    t0 = time.process_time()
    sim = Simulation(s)
    build = time.process_time() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t1 = time.process_time()
    result = sim.run()
    run = time.process_time() - t1
    return build, result.events / run, peak / circuits, result.events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--circuits", type=int, default=2000)
    ap.add_argument("--sim-time", type=float, default=0.002)
    args = ap.parse_args()
    small = max(args.circuits // 10, 1)
    print(f"{'nodes':>6} {'circuits':>9} {'build s':>8} {'events':>8} {'events/s':>10} {'build kB/circuit':>17}")
    rows = []
    for circuits in (small, args.circuits):
        build, eps, mem, events = measure(args.nodes, circuits, args.sim_time)
        rows.append(eps)
        print(f"{args.nodes:>6} {circuits:>9} {build:>8.2f} {events:>8} {eps:>10,.0f} {mem / 1024:>17.1f}")
    print(f"events/s with {args.circuits} circuits vs {small}: {rows[1] / rows[0]:.2f}")


if __name__ == "__main__":
    main()
