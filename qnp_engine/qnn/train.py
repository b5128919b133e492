"""``train(config)``: data, model, engine, optional network and effective dimension -> ``QnnResult`` (layer: qnn)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from qnp_engine.qnn.config import QnnConfig, parse_config
from qnp_engine.qnn.datasets import Data
from qnp_engine.qnn.distributed_run import finish_distributed, plan_distributed
from qnp_engine.qnn.engine_base import QnnEngine
from qnp_engine.qnn.factory import circuit_summary, make_engine, prepare
from qnp_engine.qnn.fit import EpochCallback, FitOutcome, StopCheck, fit, initial_weights


@dataclass
class QnnResult:
    """Outcome of one training run; ``to_dict()`` is JSON-able and ``from_dict`` reads it back."""

    name: str
    engine: str
    target: str
    seed: int
    history: list[dict]
    final: dict
    weights: list[float]
    stopped: bool
    wall_time_s: float
    time_per_epoch_s: float
    circuit_evaluations: int
    circuit: dict
    dataset: dict
    config: dict
    distributed: dict | None = None
    effective_dimension: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=_jsonable))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QnnResult:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def train(config: dict | QnnConfig, on_epoch: EpochCallback | None = None,
          should_stop: StopCheck | None = None) -> QnnResult:
    """Train the configured QNN (a ``QnnConfig`` or its mapping) and return the result.

    ``on_epoch(row)`` gets ``{"epoch", "loss", "train_accuracy", "test_accuracy", "wall_time_s"}``
    after each epoch; ``should_stop()`` is polled between batches / optimiser steps and ends the
    run early (``result.stopped``). Bad configuration raises ``QnnConfigError`` naming the field;
    an engine that cannot run here raises ``RuntimeError`` (e.g. cudaq missing, no GPU).
    """
    started = time.perf_counter()
    cfg = parse_config(config)
    data, circuit, readout, objective = prepare(cfg)
    w0 = initial_weights(cfg, circuit.num_weights)  # checks a given list's length first
    distributed = None
    remote: dict = {}
    run_circuit = circuit
    if cfg.distributed is not None:
        plan = plan_distributed(cfg, circuit)
        run_circuit, remote, distributed = plan.circuit, plan.remote, plan.summary
    engine = make_engine(cfg, run_circuit, readout)
    outcome = fit(engine, objective, data, cfg, w0, on_epoch, should_stop)
    epochs = max(len(outcome.history), 1)
    if distributed is not None:
        distributed = finish_distributed(cfg, plan, outcome, epochs, data, objective, should_stop)
    ed = None
    if cfg.effective_dimension is not None and not outcome.stopped:
        from qnp_engine.qnn.effective_dimension import effective_dimension_curve

        e = cfg.effective_dimension
        ed = effective_dimension_curve(engine, e.dataset_sizes, e.weight_samples, e.input_samples, cfg.seed,
                                       trained_weights=outcome.weights)
    return _result(cfg, engine, data, circuit_summary(run_circuit, remote), outcome, distributed, ed, started)


def _result(cfg: QnnConfig, engine: QnnEngine, data: Data, circuit: dict, outcome: FitOutcome,
            distributed: dict | None, ed: dict | None, started: float) -> QnnResult:
    epochs = max(len(outcome.history), 1)
    return QnnResult(
        name=cfg.name, engine=engine.name, target=engine.target, seed=cfg.seed, history=outcome.history,
        final=outcome.final, weights=[float(v) for v in outcome.weights], stopped=outcome.stopped,
        wall_time_s=time.perf_counter() - started, time_per_epoch_s=outcome.wall_time_s / epochs,
        circuit_evaluations=outcome.circuit_evaluations, circuit=circuit,
        dataset={"name": data.name, "train": len(data.y_train), "test": len(data.y_test),
                 "features": data.num_features, "classes": data.num_classes},
        config=cfg.model_dump(mode="json"), distributed=distributed, effective_dimension=ed,
    )
