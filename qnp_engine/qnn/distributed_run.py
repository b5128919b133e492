"""A distributed training run (layer: qnn): pairs from the network, the teleported circuit, the fidelity sweep.

Reports, per node pair, the delivered fidelity and rate; the network wall time an epoch needs
(circuits run x shots per circuit x remote gates / pair rate, node pairs in parallel); and, for
``fidelity_sweep``, the accuracy reached when every pair has fidelity F (one training per F,
same seed and initial weights).
"""

from __future__ import annotations

from dataclasses import dataclass

from qnp_engine.qnn.circuit import Circuit, readout_spec
from qnp_engine.qnn.config import QnnConfig
from qnp_engine.qnn.datasets import Data
from qnp_engine.qnn.distributed import (
    Pair,
    Placement,
    distribute,
    network_time_per_epoch,
    placement,
    remote_gate_counts,
)
from qnp_engine.qnn.factory import make_engine
from qnp_engine.qnn.fit import FitOutcome, StopCheck, fit, initial_weights
from qnp_engine.qnn.network import PairSupply, pair_supply
from qnp_engine.qnn.objective import Objective


@dataclass
class DistributedPlan:
    monolithic: Circuit
    circuit: Circuit
    where: Placement
    remote: dict[Pair, int]
    supply: dict[Pair, PairSupply]
    summary: dict


def plan_distributed(cfg: QnnConfig, circuit: Circuit) -> DistributedPlan:
    d = cfg.distributed
    assert d is not None
    where = placement(d, circuit.num_qubits)
    remote = remote_gate_counts(circuit, where)
    supply = pair_supply(d, sorted(remote), cfg.seed)
    fidelity = {p: s.fidelity for p, s in supply.items()}
    run_circuit = distribute(circuit, where, fidelity, d.circuit)
    summary = {
        "placement": where.to_dict(), "circuit": d.circuit.value,
        "remote_gates_per_circuit": {f"{u}-{v}": n for (u, v), n in remote.items()},
        "pairs": [s.to_dict() for s in supply.values()],
    }
    return DistributedPlan(circuit, run_circuit, where, remote, supply, summary)


def finish_distributed(cfg: QnnConfig, plan: DistributedPlan, outcome: FitOutcome, epochs: int, data: Data,
                       objective: Objective, should_stop: StopCheck | None) -> dict:
    d = cfg.distributed
    assert d is not None
    shots = cfg.shots or d.shots_per_circuit
    circuits_per_epoch = outcome.circuit_evaluations / epochs
    rates = {p: s.rate_hz for p, s in plan.supply.items()}
    summary = dict(plan.summary)
    summary["shots_per_circuit"] = shots
    summary["circuits_per_epoch"] = circuits_per_epoch
    summary["bell_pairs_per_epoch"] = circuits_per_epoch * shots * sum(plan.remote.values())
    summary["network_time_per_epoch_s"] = network_time_per_epoch(circuits_per_epoch, shots, plan.remote, rates)
    summary["simulation_time_per_epoch_s"] = outcome.wall_time_s / epochs
    sweep = []
    for f in d.fidelity_sweep:
        if should_stop is not None and should_stop():
            break
        circuit = distribute(plan.monolithic, plan.where, dict.fromkeys(plan.remote, f), d.circuit)
        readout = readout_spec(cfg, data.num_classes)
        engine = make_engine(cfg, circuit, readout)
        run = fit(engine, objective, data, cfg, initial_weights(cfg, circuit.num_weights), None, should_stop)
        sweep.append({"fidelity": f, **run.final, "epochs": len(run.history)})
    summary["fidelity_sweep"] = sweep
    return summary
