"""Issue 5 benchmark: the cost of each quantum engine, as ratios to the closed-form backend.

(a) per operation (create, decohere, swap, measure, fidelity): median wall time per call over
``--repeat`` calls, for Bell-diagonal inputs and for general density-matrix inputs;
(b) a whole run of the 3-node chain sample (shortened to ``--pairs`` delivered pairs, memory noise
added so that every engine works on density matrices), with the delivered fidelity of each engine.
The closed form is measured in the same process as the baseline. Engines: closed-form, qiskit
(Aer density matrix), cudaq-dm (density-matrix-cpu), cudaq-sv (qpp-cpu: the GPU code path on a
CPU) and cudaq-gpu (nvidia-fp64, only where CUDA-Q sees a GPU).

Usage: OMP_NUM_THREADS=1 python bench/backend_ops.py [--repeat 200] [--pairs 100] [--engines ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from qnp_engine.backends import BackendUnavailable, make_backend  # noqa: E402
from qnp_engine.backends.base import StateBackend  # noqa: E402

ENGINES = {
    "closed-form": ("closed-form", {}),
    "qiskit": ("qiskit", {}),
    "cudaq-dm": ("cudaq", {"target": "density-matrix-cpu"}),
    "cudaq-sv": ("cudaq", {"target": "qpp-cpu"}),
    "cudaq-gpu": ("cudaq", {"target": "nvidia-fp64"}),
}
RHO = np.array(
    [[0.45, 0.02, 0.0, 0.38], [0.02, 0.06, 0.01, 0.0], [0.0, 0.01, 0.04, 0.0], [0.38, 0.0, 0.0, 0.45]], dtype=complex
)


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (kernel JIT, first Aer run)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def operations(b: StateBackend) -> dict[str, Callable[[], object]]:
    bd1, bd2 = b.werner(0.95), b.werner(0.9, 1)
    dm1, dm2 = b.create_density_matrix(RHO), b.decohere(b.werner(0.9), 0, 0.05, 0.02, 0.0)
    return {
        "create (Bell-diagonal)": lambda: b.werner(0.95),
        "create (density matrix)": lambda: b.create_density_matrix(RHO),
        "decohere (dephasing, BD)": lambda: b.decohere(bd1, 1, 0.0, 0.01, 0.0),
        "decohere (T1/T2, dm)": lambda: b.decohere(dm1, 1, 0.05, 0.01, 0.0),
        "swap (BD x BD)": lambda: b.swap(bd1, 1, bd2, 0, 0.3),
        "swap (dm x dm)": lambda: b.swap(dm1, 1, dm2, 0, 0.3),
        "measure (X, Y)": lambda: b.measure(dm1, ("X", "Y"), 0.3),
        "fidelity": lambda: b.fidelity(dm1, 0),
    }


def chain3(pairs: int):
    from qnp_engine.model import load_scenario, scenario_from_dict, scenario_to_dict

    root = Path(__file__).resolve().parent.parent
    data = scenario_to_dict(load_scenario(root / "sample_topologies" / "chain-3.yaml"))
    data["requests"][0]["pairs"] = pairs
    data["defaults"]["node"]["memory"].update({"t1_s": 1.0, "t2_s": 0.5})
    return scenario_from_dict(data)


def whole_run(backend: StateBackend, pairs: int) -> tuple[float, float, int]:
    from qnp_engine.sim import Simulation

    sim = Simulation(chain3(pairs), engine=backend)
    t0 = time.perf_counter()
    result = sim.run().to_dict()
    wall = time.perf_counter() - t0
    req = result["requests"][0]
    return wall, req["fidelity_mean"], req["pairs_delivered"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=200, help="calls per operation (median reported)")
    ap.add_argument("--pairs", type=int, default=100, help="delivered pairs in the chain-3 run (0: skip)")
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=list(ENGINES))
    args = ap.parse_args()
    backends: dict[str, StateBackend] = {}
    for label in ["closed-form", *[e for e in args.engines if e != "closed-form"]]:
        name, options = ENGINES[label]
        try:
            backends[label] = make_backend(name, **options)
        except BackendUnavailable as exc:
            print(f"skip {label}: {exc}")
    print(f"engines: {', '.join(f'{k} = {b.describe()}' for k, b in backends.items())}")

    timings = {label: {op: per_call_us(fn, args.repeat) for op, fn in operations(b).items()}
               for label, b in backends.items()}  # fmt: skip
    base = timings["closed-form"]
    width = max(len(op) for op in base)
    print(f"\n(a) per operation: closed form in us per call, others as ratio to it (repeat {args.repeat})")
    rest = [k for k in backends if k != "closed-form"]
    print(f"{'operation':<{width}}  {'closed-form':>12}" + "".join(f"  {k:>12}" for k in rest))
    for op, us in base.items():
        others = "".join(f"  {timings[k][op] / us:>11.0f}x" for k in rest)
        print(f"{op:<{width}}  {us:>10.1f}us{others}")
    print("\nabsolute (us per call):")
    for k in backends:
        print(f"  {k:<12} " + ", ".join(f"{op.split(' ')[0]} {t:.0f}" for op, t in timings[k].items()))

    if args.pairs:
        print(f"\n(b) whole run: chain-3 sample, {args.pairs} pairs, T1 = 1 s, T2 = 0.5 s memories")
        runs = {k: whole_run(b, args.pairs) for k, b in backends.items()}
        w0 = runs["closed-form"][0]
        for k, (wall, fid, n) in runs.items():
            print(f"  {k:<12} {wall:8.3f} s  {wall / w0:8.1f}x  delivered {n}  fidelity_mean {fid:.12f}")


if __name__ == "__main__":
    main()
