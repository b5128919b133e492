"""Small scenario builders shared by the engine tests (plain functions, no fixtures)."""

from __future__ import annotations

import math
from pathlib import Path

from qnp_engine.model import Scenario, scenario_from_dict

ROOT_SAMPLES = Path(__file__).resolve().parent.parent / "sample_topologies"


def chain(n_nodes: int, *, p: float = 0.1, fidelity: float = 1.0, length_km: float = 0.0,
          attempt_time_s: float | None = 1e-5, model: str = "abstract", qubits: int = 1,
          t1_s: float = math.inf, t2_s: float = math.inf, depolarizing_time_s: float = math.inf,
          qos: str = "measure_directly", pairs: int | None = 100, min_fidelity: float | None = None,
          cutoff_s: float | None = None, seed: int = 1, max_time_s: float = 100.0, jitter_s: float = 0.0,
          test_rounds: float = 0.0, basis: str = "XZ", link_extra: dict | None = None,
          end_memory: dict | None = None) -> Scenario:
    names = ["A"] + [f"R{i}" for i in range(1, n_nodes - 1)] + ["B"]
    link = {"model": model, "success_probability": p, "fidelity": fidelity, "length_km": length_km}
    if attempt_time_s is not None:
        link["attempt_time_s"] = attempt_time_s
    link.update(link_extra or {})
    memory = {"qubits_per_link": qubits, "t1_s": t1_s, "t2_s": t2_s, "depolarizing_time_s": depolarizing_time_s}
    nodes = [{"name": n, "role": "end" if n in ("A", "B") else "repeater", "x": i, "y": 0}
             for i, n in enumerate(names)]
    if end_memory is not None:
        for node in nodes:
            if node["role"] == "end":
                node["memory"] = {**memory, **end_memory}
    request = {"name": "ab", "src": "A", "dst": "B", "qos": qos, "pairs": pairs, "basis": basis,
               "test_round_probability": test_rounds}
    if min_fidelity is not None:
        request["min_fidelity"] = min_fidelity
    if cutoff_s is not None:
        request["cutoff_s"] = cutoff_s
    return scenario_from_dict({
        "name": f"chain-{n_nodes}",
        "defaults": {"link": link, "node": {"memory": memory}},
        "nodes": nodes,
        "links": [{"a": a, "b": b} for a, b in zip(names, names[1:], strict=False)],
        "requests": [request],
        "simulation": {"seed": seed, "max_time_s": max_time_s, "message_jitter_s": jitter_s},
    })
