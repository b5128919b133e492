"""Issue 4 benchmark: whole-network simulation speed, and the cost of the live metric stream.

For the 3-, 5- and 9-node chain samples and the 100-node sample with 50 concurrent requests it
prints delivered end-to-end pairs and events per second of CPU time (process_time, which stays
meaningful when other work shares the machine). The baseline, run in the same process, is the
same scenario run in one go; the streamed run (100 snapshots) is printed as a ratio to it
(target: >= 0.90, i.e. snapshots cost < 10 %). Usage: python bench/network_chains.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from qnp_engine.model import Scenario, load_scenario, scenario_from_dict, scenario_to_dict
from qnp_engine.sim import Simulation

SAMPLES = Path(__file__).resolve().parent.parent / "sample_topologies"


def with_pairs(scenario: Scenario, pairs: int) -> Scenario:
    reqs = [r.model_copy(update={"pairs": pairs}) for r in scenario.requests]
    return scenario.model_copy(update={"requests": reqs})


def random_100_with_50_requests(pairs: int, seed: int = 3) -> Scenario:
    doc = scenario_to_dict(load_scenario(SAMPLES / "random-100.yaml"))
    ends = [n["name"] for n in doc["nodes"] if n["role"] == "end"]
    rng = np.random.default_rng(seed)
    doc["requests"] = []
    for k in range(50):
        src, dst = rng.choice(ends, size=2, replace=False)
        doc["requests"].append({"name": f"r{k}", "src": str(src), "dst": str(dst), "pairs": pairs, "cutoff_s": 0.01})
    doc["simulation"] = {"seed": 1, "max_time_s": 60}
    return scenario_from_dict(doc)


def timed(scenario: Scenario, slices: int | None) -> tuple[float, int, int]:
    sim = Simulation(scenario)
    t0 = time.process_time()
    if slices is None:
        result = sim.run()
    else:
        step = scenario.simulation.max_time_s / slices
        for _ in sim.stream(slice_s=step):
            pass
        result = sim.result()
    wall = time.process_time() - t0
    delivered = sum(r["pairs_delivered"] for r in result.requests)
    return wall, delivered, result.events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=2000, help="pairs per request on the chains")
    ap.add_argument("--rounds", type=int, default=3, help="alternating plain/streamed rounds per scenario")
    args = ap.parse_args()
    cases = {
        "chain-3": with_pairs(load_scenario(SAMPLES / "chain-3.yaml"), args.pairs),
        "chain-5": with_pairs(load_scenario(SAMPLES / "chain-5.yaml"), args.pairs),
        "chain-9": with_pairs(load_scenario(SAMPLES / "chain-9.yaml"), args.pairs),
        "random-100 x 50 requests": random_100_with_50_requests(max(args.pairs // 20, 10)),
    }
    print(f"{'scenario':<26} {'pairs':>7} {'events':>9} {'pairs/s':>10} {'events/s':>11} {'streamed/plain':>15} "
          f"{'snapshots/run':>14}")
    for name, scenario in cases.items():
        # the streamed run's slices: 100 over the simulated time the plain run needs
        sim_time = Simulation(scenario).run().sim_time_s
        streamed = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(
            update={"max_time_s": sim_time * 1.0001})})
        plain_best = stream_best = float("inf")
        for _ in range(args.rounds):  # alternate A B A B and keep the best of each (load noise)
            wall, delivered, events = timed(scenario, None)
            plain_best = min(plain_best, wall)
            wall_s, delivered_s, _ = timed(streamed, 100)
            stream_best = min(stream_best, wall_s * delivered / delivered_s)
        # The same cost measured directly: 100 snapshots' CPU time as a share of the plain run
        probe = Simulation(scenario)
        probe.advance(sim_time / 2)
        t0 = time.process_time()
        for _ in range(100):
            probe.snapshot()
        share = (time.process_time() - t0) / plain_best
        print(f"{name:<26} {delivered:>7} {events:>9} {delivered / plain_best:>10,.0f} "
              f"{events / plain_best:>11,.0f} {plain_best / stream_best:>15.3f} {share:>13.2%}")


if __name__ == "__main__":
    main()
