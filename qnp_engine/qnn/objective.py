"""Losses, predictions and scores on model outputs (layer: qnn), shared by every engine.

Observable read-out: squared error to targets in [-1, 1] (class k <-> its qubit measured 1, so
the target for the true class is -1 and +1 for the others; regression targets are y itself).
Sampler read-out: cross-entropy of the class probabilities. Scores are accuracy for
classification and the coefficient of determination R^2 for regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnp_engine.qnn.config import Readout, Task

_EPS = 1e-12


@dataclass(frozen=True)
class Objective:
    task: Task
    readout: Readout
    num_outputs: int

    def targets(self, y: np.ndarray) -> np.ndarray:
        if self.task is Task.REGRESSION:
            return np.asarray(y, dtype=float).reshape(-1, 1)
        y = np.asarray(y, dtype=int)
        if self.num_outputs == 1:
            return (1.0 - 2.0 * y).reshape(-1, 1)
        return 1.0 - 2.0 * np.eye(self.num_outputs)[y]

    def loss_and_grad(self, outputs: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the batch and its gradient with respect to ``outputs``."""
        if self.readout is Readout.SAMPLER:
            n = len(y)
            idx = np.asarray(y, dtype=int)
            p = np.clip(outputs[np.arange(n), idx], _EPS, None)
            grad = np.zeros_like(outputs)
            grad[np.arange(n), idx] = -1.0 / (n * p)
            return float(-np.mean(np.log(p))), grad
        diff = outputs - self.targets(y)
        return float(np.mean(diff**2)), 2.0 * diff / diff.size

    def loss(self, outputs: np.ndarray, y: np.ndarray) -> float:
        return self.loss_and_grad(outputs, y)[0]

    def predict(self, outputs: np.ndarray) -> np.ndarray:
        if self.task is Task.REGRESSION:
            return outputs[:, 0]
        if self.readout is Readout.SAMPLER:
            return np.argmax(outputs, axis=1)
        if self.num_outputs == 1:
            return (outputs[:, 0] < 0).astype(int)
        return np.argmin(outputs, axis=1)

    def score(self, outputs: np.ndarray, y: np.ndarray) -> float:
        pred = self.predict(outputs)
        if self.task is Task.REGRESSION:
            y = np.asarray(y, dtype=float)
            ss_tot = float(np.sum((y - y.mean()) ** 2))
            return 1.0 - float(np.sum((y - pred) ** 2)) / ss_tot if ss_tot > 0 else 0.0
        return float(np.mean(pred == np.asarray(y)))
