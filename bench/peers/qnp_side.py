"""QNP Studio side of the peer benchmark (bench layer; runs in the project's own venv).

Usage: python qnp_side.py '<Scenario JSON>' ROUND  -> prints one PeerResult JSON line.

The scenario is built as a plain dict in the project's file format and validated by
``scenario_from_dict``; the run uses the public façade ``Simulation``. Links use the ``abstract``
model with the success probability and attempt time derived from the same physics as the peers
(``scenario.py``: p = eta_A eta_B / 2, attempt = cycle + L/c) and a Werner fidelity; memories
depolarise with the shared coherence time; the request keeps its pairs (create_and_keep) with the
shared cutoff, and the run ends after ``pairs`` deliveries.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent.parent))  # the repository root, only if qnp_engine is not importable otherwise

from scenario import PeerResult, Scenario  # noqa: E402

T_IMPORT = time.perf_counter()
from qnp_engine.model import scenario_from_dict  # noqa: E402
from qnp_engine.sim import Simulation  # noqa: E402

IMPORT_S = time.perf_counter() - T_IMPORT


def scenario_dict(sc: Scenario) -> dict:
    names = ["A"] + [f"R{i}" for i in range(1, sc.nodes - 1)] + ["B"]
    return {
        "name": f"peer-chain-{sc.nodes}",
        "description": "Peer benchmark chain (bench/peers)",
        "defaults": {
            "link": {
                "model": "abstract", "length_km": sc.link_km,
                "attenuation_db_per_km": sc.attenuation_db_per_km,
                "success_probability": sc.success_probability,
                "attempt_time_s": sc.attempt_time_s,
                "fidelity": sc.raw_fidelity,
            },
            "node": {"memory": {"qubits_per_link": 1, "depolarizing_time_s": sc.coherence_time_s}
                     if sc.memory_noise else {"qubits_per_link": 1}},
        },
        "nodes": [{"name": n, "role": "end" if n in ("A", "B") else "repeater", "x": i, "y": 0}
                  for i, n in enumerate(names)],
        "links": [{"a": names[i], "b": names[i + 1]} for i in range(sc.links)],
        "requests": [{"name": "ab", "src": "A", "dst": "B", "qos": "create_and_keep",
                      "pairs": sc.pairs, "cutoff_s": sc.cutoff_s}],
        "simulation": {"seed": sc.seed, "max_time_s": 1.0e4, "light_speed_km_s": sc.light_speed_km_s,
                       "engine": "closed-form"},
    }


def _version() -> str:
    import qnp_engine.link.link_layer as hot

    try:
        v = version("qnp-studio")
    except PackageNotFoundError:
        v = "working tree"
    # qnp_engine.compiled loads the hot modules from a mypyc build when asked to: say which engine ran.
    return f"{v}, compiled engine (mypyc)" if hot.__file__.endswith(".so") else v


def run(sc: Scenario, round_no: int) -> PeerResult:
    t0 = time.perf_counter()
    c0 = time.process_time()
    sim = Simulation(scenario_from_dict(scenario_dict(sc)))
    t1 = time.perf_counter()
    # Slices of simulated time let the wall-clock budget stop a run that is too slow.
    step = 0.05
    while not sim.done:
        sim.advance(sim.now + step)
        if time.perf_counter() - t0 > sc.wall_budget_s:
            break
    t2 = time.perf_counter()
    c2 = time.process_time()
    res = sim.result().to_dict()
    req = res["requests"][0]
    delivered = req["pairs_delivered"]
    stopped = "pairs" if delivered >= sc.pairs else ("wall_budget" if not sim.done else "sim_end")
    return PeerResult(
        tool="QNP Studio", version=_version(), nodes=sc.nodes, round=round_no,
        wall_s=t2 - t0, cpu_s=c2 - c0, setup_s=t1 - t0, delivered=delivered, sim_time_s=res["sim_time_s"],
        events=res["events"], fidelity_mean=req["fidelity_mean"], stopped_by=stopped,
        notes=f"swap ASAP (QNP); {req['pairs_expired']} expired; import {IMPORT_S:.1f} s (not counted)",
    )


def main() -> None:
    sc = Scenario.from_json(sys.argv[1])
    round_no = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(run(sc, round_no).to_json())


if __name__ == "__main__":
    main()
