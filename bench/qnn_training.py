"""Issue 8 benchmark: QNN training, CUDA-Q engine vs Qiskit ML on Aer vs Qiskit ML on reference primitives.

Same model, data, seed and initial weights everywhere (two moons, 2 qubits, re-uploaded angle
encoding, hardware-efficient ansatz, Adam on full batches, exact parameter-shift gradients), so the
loss curves coincide and only the time differs. Variants:

- cudaq: our CUDA-Q engine (qpp-cpu), batched launches with one prepared kernel module;
- cudaq (public observe): the same through ``cudaq.observe`` broadcasting;
- qiskit-ml Aer (batched gradient): EstimatorQNN on Aer EstimatorV2 + our one-PUB parameter shift;
- qiskit-ml Aer (library gradient): EstimatorQNN on Aer with qiskit-ml's ParamShiftEstimatorGradient;
- qiskit-ml reference (batched / library gradient): EstimatorQNN on QMLEstimator (Statevector).

Slow variants run ``--slow-epochs`` epochs (enough for a time per epoch; their curve is checked
against the CUDA-Q one on the common epochs). The two fast variants run ``--repeats`` times,
interleaved, and report the median time per epoch (a shared machine's load drifts). Then one
20-qubit expectation value per engine. Ratios are against the CUDA-Q engine, measured in the same
process.

Usage: OMP_NUM_THREADS=1 python bench/qnn_training.py [--epochs 10] [--slow-epochs 2] [--repeats 3]
       [--big-qubits 20] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny circuits: threads only spin on a shared machine

import numpy as np  # noqa: E402

from qnp_engine.qnn.config import parse_config  # noqa: E402
from qnp_engine.qnn.factory import prepare  # noqa: E402
from qnp_engine.qnn.fit import fit, initial_weights  # noqa: E402

MODEL = {"name": "bench-two-moons", "dataset": "two_moons", "samples": 100, "reupload": True,
         "ansatz": "hardware_efficient", "qubits": 2, "reps": 3, "optimizer": "adam", "learning_rate": 0.1,
         "seed": 1}


def engine_for(variant: str, circuit, readout):
    from qnp_engine.qnn.cudaq_engine import CudaqEngine
    from qnp_engine.qnn.qiskit_engine import QiskitEngine

    if variant == "cudaq":
        return CudaqEngine(circuit, readout, target="qpp-cpu")
    if variant == "cudaq (public observe)":
        return CudaqEngine(circuit, readout, target="qpp-cpu", launch="public")
    reference = "reference" in variant
    gradient = "library" if "library" in variant else "batched"
    return QiskitEngine(circuit, readout, reference=reference, gradient=gradient)


def train_variant(variant: str, epochs: int, samples: int) -> dict:
    cfg = parse_config({**MODEL, "epochs": epochs, "samples": samples})
    data, circuit, readout, objective = prepare(cfg)
    engine = engine_for(variant, circuit, readout)
    engine.forward(data.x_train[:2], initial_weights(cfg, circuit.num_weights))  # JIT / first-call costs
    out = fit(engine, objective, data, cfg, initial_weights(cfg, circuit.num_weights))
    n = len(out.history)
    return {"variant": variant, "epochs": n, "time_per_epoch_s": out.wall_time_s / n,
            "circuits_per_epoch": out.circuit_evaluations / n, "test_accuracy": out.final["test_accuracy"],
            "train_accuracy": out.final["train_accuracy"], "losses": [h["loss"] for h in out.history],
            "weights": circuit.num_weights, "train_samples": len(data.y_train)}


def big_expectation(variant: str, qubits: int) -> float:
    """Seconds for one exact <Z0> of a ``qubits``-qubit model circuit (one input, one weight set)."""
    cfg = parse_config({**MODEL, "qubits": qubits, "reps": 2, "reupload": False})
    from qnp_engine.qnn.circuit import build_circuit, readout_spec

    circuit = build_circuit(cfg, 2)
    engine = engine_for(variant, circuit, readout_spec(cfg, 2))
    x = np.full((1, 2), 0.7)
    w = np.random.default_rng(1).uniform(-np.pi, np.pi, circuit.num_weights)
    t0 = time.perf_counter()
    engine.forward(x, w)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--slow-epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--big-qubits", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="3 / 1 epochs and a 16-qubit expectation value")
    ap.add_argument("--json", type=str, default=None)
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.slow_epochs, args.repeats, args.big_qubits = 3, 1, 1, 16
    fast = ["cudaq", "qiskit-ml Aer (batched gradient)"]
    slow = ["cudaq (public observe)", "qiskit-ml Aer (library gradient)", "qiskit-ml reference (batched gradient)",
            "qiskit-ml reference (library gradient)"]
    runs: dict[str, list[dict]] = {v: [] for v in fast}
    for _ in range(max(args.repeats, 1)):
        for v in fast:
            runs[v].append(train_variant(v, args.epochs, args.samples))
    rows = []
    for v in fast:
        times = sorted(r["time_per_epoch_s"] for r in runs[v])
        row = dict(runs[v][0], time_per_epoch_s=float(np.median(times)), time_per_epoch_min_s=times[0])
        rows.append(row)
    rows += [train_variant(v, args.slow_epochs, args.samples) for v in slow]
    base = rows[0]
    print(f"QNN training: two moons, {base['train_samples']} train samples, 2 qubits, {base['weights']} weights, "
          f"Adam full batch, exact parameter shift ({base['circuits_per_epoch']:.0f} circuits per epoch)")
    print(f"{'variant':42s} {'epochs':>6s} {'s/epoch':>9s} {'(min)':>7s} {'ms/circuit':>10s} {'vs cudaq':>9s} "
          f"{'test acc':>8s} {'max |dloss|':>11s}")
    for r in rows:
        k = min(len(r["losses"]), len(base["losses"]))
        dloss = float(np.max(np.abs(np.array(r["losses"][:k]) - np.array(base["losses"][:k]))))
        r["max_loss_difference"] = dloss
        r["ratio_vs_cudaq"] = r["time_per_epoch_s"] / base["time_per_epoch_s"]
        acc = f"{r['test_accuracy']:.3f}" if r["epochs"] == base["epochs"] else "-"
        best = f"{r['time_per_epoch_min_s']:7.3f}" if "time_per_epoch_min_s" in r else f"{'':7s}"
        print(f"{r['variant']:42s} {r['epochs']:6d} {r['time_per_epoch_s']:9.3f} {best} "
              f"{1e3 * r['time_per_epoch_s'] / r['circuits_per_epoch']:10.3f} {r['ratio_vs_cudaq']:8.2f}x "
              f"{acc:>8s} {dloss:11.1e}")
    big = {}
    for v in ("qiskit-ml Aer (batched gradient)", "qiskit-ml reference (batched gradient)", "cudaq"):
        big[v] = big_expectation(v, args.big_qubits)
    print(f"\n{args.big_qubits}-qubit expectation value (one circuit, {args.big_qubits * 6} weights):")
    for v, s in big.items():
        print(f"  {v.split(' (')[0]:30s} {s:9.3f} s   {s / big['cudaq']:7.3f}x cudaq")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"training": rows, "big_expectation_s": big, "big_qubits": args.big_qubits}, fh, indent=2)


if __name__ == "__main__":
    main()
