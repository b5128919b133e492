"""Issue 3 benchmark: events/s and delivered link pairs per second on a single link (seconds of
this process's CPU time, which stay meaningful when other work shares the machine).

Runs (a) an abstract link and (b) a 25 km single-click link, each until 10^5 pairs are delivered,
and prints them next to a baseline measured in the same process: the bare event kernel running
empty callbacks. Usage: python bench/engine_link.py [--pairs N]
"""

from __future__ import annotations

import argparse
import time

from qnp_engine.kernel.scheduler import Scheduler
from qnp_engine.model import scenario_from_dict
from qnp_engine.sim import Simulation


def kernel_baseline(n: int = 300_000) -> float:
    """Events per second of the kernel alone: each event schedules the next one."""
    s = Scheduler(1)

    def tick() -> None:
        s.call_after(1e-6, tick)

    for _ in range(100):
        s.call_at(0.0, tick)
    t0 = time.process_time()
    s.run_until(1.0, max_events=n)
    return s.events / (time.process_time() - t0)


def single_link(model: dict, pairs: int) -> dict:
    return scenario_from_dict({
        "name": f"link-{model['model']}",
        "nodes": [{"name": "A", "role": "end"}, {"name": "B", "role": "end"}],
        "links": [{"a": "A", "b": "B", **model}],
        "requests": [{"name": "ab", "src": "A", "dst": "B", "pairs": pairs}],
        "simulation": {"seed": 1, "max_time_s": 1e6},
    })


def measure(scenario) -> tuple[float, float, int]:
    sim = Simulation(scenario)
    t0 = time.process_time()
    result = sim.run()
    wall = time.process_time() - t0
    delivered = result.requests[0]["pairs_delivered"]
    return result.events / wall, delivered / wall, delivered


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=100_000)
    args = ap.parse_args()
    base = kernel_baseline()
    print(f"baseline: bare kernel {base:,.0f} events/s")
    cases = {
        "abstract (p=0.1, 10 us)": {"model": "abstract", "success_probability": 0.1, "attempt_time_s": 1e-5,
                                    "fidelity": 0.95},
        "single-click 25 km": {"model": "single_click", "length_km": 25.0, "alpha": 0.1,
                               "detection_efficiency": 0.8},
    }
    print(f"{'link':<26} {'pairs':>8} {'events/s':>12} {'pairs/s':>12} {'events/s vs kernel':>20}")
    for name, model in cases.items():
        eps, pps, n = measure(single_link(model, args.pairs))
        print(f"{name:<26} {n:>8} {eps:>12,.0f} {pps:>12,.0f} {eps / base:>20.3f}")


if __name__ == "__main__":
    main()
