"""The training loop (layer: qnn): one optimiser run of one engine on one dataset.

Shared by every engine, so equal gradients give equal trajectories. After each epoch (Adam: one
pass over the shuffled batches; COBYLA / L-BFGS-B: one optimiser iteration) the model is scored on
the full training and test sets and ``on_epoch`` receives
``{"epoch", "loss", "train_accuracy", "test_accuracy", "wall_time_s"}`` (loss on the training set,
wall time since training started; "accuracy" is R^2 for regression).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qnp_engine.qnn.config import Optimizer, QnnConfig
from qnp_engine.qnn.datasets import Data
from qnp_engine.qnn.engine_base import QnnEngine
from qnp_engine.qnn.objective import Objective
from qnp_engine.qnn.optim import Adam, StopTraining, scipy_minimize

EpochCallback = Callable[[dict], None]
StopCheck = Callable[[], bool]


@dataclass
class FitOutcome:
    weights: np.ndarray
    history: list[dict] = field(default_factory=list)
    stopped: bool = False
    wall_time_s: float = 0.0
    circuit_evaluations: int = 0

    final: dict = field(default_factory=dict)  # loss and scores at ``weights``


def initial_weights(cfg: QnnConfig, num_weights: int) -> np.ndarray:
    if cfg.initial_weights is not None:
        if len(cfg.initial_weights) != num_weights:
            from qnp_engine.model.errors import FieldError
            from qnp_engine.qnn.config import QnnConfigError

            raise QnnConfigError([FieldError("initial_weights", f"the model has {num_weights} weights, "
                                             f"{len(cfg.initial_weights)} given")])
        return np.array(cfg.initial_weights, dtype=float)
    return np.random.default_rng([cfg.seed, 1]).uniform(-np.pi, np.pi, num_weights)


class _Scorer:
    """Scores weights on train/test, caching recent train outputs (scipy revisits points)."""

    def __init__(self, engine: QnnEngine, objective: Objective, data: Data):
        self.engine, self.objective, self.data = engine, objective, data
        self._cache: dict[bytes, np.ndarray] = {}

    def train_outputs(self, w: np.ndarray) -> np.ndarray:
        key = np.asarray(w, dtype=float).tobytes()
        if key not in self._cache:
            if len(self._cache) > 16:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self.engine.forward(self.data.x_train, w)
        return self._cache[key]

    def remember(self, w: np.ndarray, outputs: np.ndarray) -> None:
        self._cache[np.asarray(w, dtype=float).tobytes()] = outputs

    def record(self, epoch: int, w: np.ndarray, started: float, loss: float | None = None) -> dict:
        out_tr = self.train_outputs(w)
        out_te = self.engine.forward(self.data.x_test, w)
        return {
            "epoch": epoch,
            "loss": float(self.objective.loss(out_tr, self.data.y_train) if loss is None else loss),
            "train_accuracy": self.objective.score(out_tr, self.data.y_train),
            "test_accuracy": self.objective.score(out_te, self.data.y_test),
            "wall_time_s": time.perf_counter() - started,
        }


def fit(engine: QnnEngine, objective: Objective, data: Data, cfg: QnnConfig, w0: np.ndarray,
        on_epoch: EpochCallback | None = None, should_stop: StopCheck | None = None) -> FitOutcome:
    started = time.perf_counter()
    evals0 = engine.circuit_evaluations
    scorer = _Scorer(engine, objective, data)
    outcome = FitOutcome(weights=np.array(w0, dtype=float))

    last_weights = {"w": None}

    def emit(row: dict, w: np.ndarray) -> None:
        last_weights["w"] = np.array(w, dtype=float)
        outcome.history.append(row)
        if on_epoch is not None:
            on_epoch(dict(row))

    def stop() -> bool:
        return should_stop is not None and bool(should_stop())

    def loss_and_grad(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        outputs, jac = engine.jacobian(x, w)
        loss, d_out = objective.loss_and_grad(outputs, y)
        return loss, np.einsum("nk,nkp->p", d_out, jac)

    if cfg.optimizer is Optimizer.ADAM:
        adam = Adam(learning_rate=cfg.learning_rate)
        shuffle = np.random.default_rng([cfg.seed, 2])
        w = outcome.weights
        n = len(data.y_train)
        batch = cfg.batch_size or n
        for epoch in range(1, cfg.epochs + 1):
            order = shuffle.permutation(n) if batch < n else np.arange(n)
            for start in range(0, n, batch):
                if stop():
                    outcome.stopped = True
                    break
                idx = order[start:start + batch]
                _, grad = loss_and_grad(w, data.x_train[idx], data.y_train[idx])
                w = adam.step(w, grad)
            if outcome.stopped:
                break
            emit(scorer.record(epoch, w, started), w)
        outcome.weights = w
    else:
        def fun(w: np.ndarray) -> float:
            outputs = engine.forward(data.x_train, w)
            scorer.remember(w, outputs)
            return objective.loss(outputs, data.y_train)

        def fun_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
            outputs, jac = engine.jacobian(data.x_train, w)
            scorer.remember(w, outputs)
            loss, d_out = objective.loss_and_grad(outputs, data.y_train)
            return loss, np.einsum("nk,nkp->p", d_out, jac)

        def callback(w: np.ndarray, loss: float) -> bool:
            emit(scorer.record(len(outcome.history) + 1, w, started, loss), w)
            if stop():
                outcome.stopped = True
            return outcome.stopped

        def fun_cobyla(w: np.ndarray) -> float:
            # COBYLA: an epoch is one evaluation (one forward pass over the training set).
            if stop():
                outcome.stopped = True
                raise StopTraining
            loss = fun(w)
            emit(scorer.record(len(outcome.history) + 1, w, started, loss), w)
            return loss

        if cfg.optimizer is Optimizer.COBYLA:
            outcome.weights = scipy_minimize("cobyla", outcome.weights, fun_cobyla, None, cfg.epochs,
                                             cfg.learning_rate, lambda w, loss: False)
        else:
            outcome.weights = scipy_minimize("lbfgs", outcome.weights, fun_grad, True, cfg.epochs,
                                             cfg.learning_rate, callback)
    last = outcome.history[-1] if outcome.history else None
    if last is not None and np.array_equal(last_weights["w"], outcome.weights):
        outcome.final = {k: last[k] for k in ("loss", "train_accuracy", "test_accuracy")}
    else:
        row = scorer.record(len(outcome.history), outcome.weights, started)
        outcome.final = {k: row[k] for k in ("loss", "train_accuracy", "test_accuracy")}
    outcome.wall_time_s = time.perf_counter() - started
    outcome.circuit_evaluations = engine.circuit_evaluations - evals0
    return outcome
