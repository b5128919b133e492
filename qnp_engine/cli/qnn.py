"""``qnp qnn CONFIG.yaml``: train a quantum neural network, print one line per epoch and a summary.

Bad configuration gives ``field: reason`` lines on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from qnp_engine.qnn import QnnConfigError, QnnResult, parse_config, train
from qnp_engine.qnn.config import read_config_dict


def _fail(path: Path, exc: QnnConfigError) -> None:
    typer.echo(f"{path}: invalid QNN configuration", err=True)
    for err in exc.errors:
        typer.echo(f"  {err}", err=True)
    raise typer.Exit(1)


def _epoch_line(row: dict) -> None:
    typer.echo(f"epoch {row['epoch']:4d}  loss {row['loss']:.6f}  train {row['train_accuracy']:.3f}  "
               f"test {row['test_accuracy']:.3f}  {row['wall_time_s']:7.2f} s")


def _summary(r: QnnResult) -> list[str]:
    c, f = r.circuit, r.final
    lines = [
        f"{r.name}: {r.engine} ({r.target}), {c['qubits']} qubits ({c['data_qubits']} data), {c['weights']} weights, "
        f"dataset {r.dataset['name']} {r.dataset['train']}/{r.dataset['test']}",
        f"final loss {f['loss']:.6f}, train {f['train_accuracy']:.3f}, test {f['test_accuracy']:.3f}"
        + ("  (stopped)" if r.stopped else ""),
        f"{len(r.history)} epochs, {r.time_per_epoch_s:.3f} s per epoch, {r.circuit_evaluations} circuit evaluations",
    ]
    d = r.distributed
    if d:
        for p in d["pairs"]:
            rate = "unknown" if p["rate_hz"] is None else f"{p['rate_hz']:.1f} Hz"
            lines.append(f"pairs {p['nodes'][0]}-{p['nodes'][1]}: fidelity {p['fidelity']:.4f}, rate {rate} "
                         f"({p['source']})")
        t = d["network_time_per_epoch_s"]
        when = "an unknown time (no pair rate)" if t is None else f"{t:.3g} s"
        lines.append(f"network: {d['bell_pairs_per_epoch']:.3g} Bell pairs and {when} per epoch "
                     f"({d['shots_per_circuit']} shots per circuit)")
        for s in d["fidelity_sweep"]:
            lines.append(f"  pair fidelity {s['fidelity']:.3f}: test {s['test_accuracy']:.3f}, loss {s['loss']:.6f}")
    e = r.effective_dimension
    if e:
        last = len(e["dataset_sizes"]) - 1
        local = f", local {e['quantum_local'][last]:.3f}" if "quantum_local" in e else ""
        lines.append(f"normalised effective dimension at n={e['dataset_sizes'][last]}: "
                     f"quantum {e['quantum_global'][last]:.3f}{local}, classical {e['classical_global'][last]:.3f} "
                     f"(layers {e['classical_layers']})")
    return lines


def qnn(
    config: Path = typer.Argument(..., help="QNN configuration (YAML)"),
    json_out: Path | None = typer.Option(None, "--json", help="write the full result as JSON"),
    engine: str | None = typer.Option(None, "--engine", help="cudaq | qiskit | qiskit-reference"),
    epochs: int | None = typer.Option(None, "--epochs", help="override the number of epochs"),
    seed: int | None = typer.Option(None, "--seed", help="override the seed"),
) -> None:
    """Train a quantum neural network (CUDA-Q or Qiskit ML), optionally distributed over a network."""
    try:
        data = read_config_dict(config)
        if isinstance(data, dict):
            overrides = {"engine": engine, "epochs": epochs, "seed": seed}
            data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
            if engine is not None and engine != "cudaq":
                data.pop("target", None)  # a CUDA-Q target does not apply to the Qiskit engines
        cfg = parse_config(data, base_dir=config.parent)
        result = train(cfg, on_epoch=_epoch_line)
    except QnnConfigError as exc:
        _fail(config, exc)
    except RuntimeError as exc:  # an engine that cannot run here (no GPU, package missing)
        typer.echo(f"{config}: {exc}", err=True)
        raise typer.Exit(1) from None
    for line in _summary(result):
        typer.echo(line)
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        typer.echo(f"wrote {json_out}")
