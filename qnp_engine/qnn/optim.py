"""Optimisers (layer: qnn): Adam written out (deterministic, engine-independent) and scipy's COBYLA / L-BFGS-B."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Adam:
    """Kingma & Ba 2015, with bias correction."""

    learning_rate: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    _m: np.ndarray | None = field(default=None, repr=False)
    _v: np.ndarray | None = field(default=None, repr=False)
    _t: int = 0

    def step(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self._m is None:
            self._m = np.zeros_like(w)
            self._v = np.zeros_like(w)
        self._t += 1
        self._m = self.beta1 * self._m + (1 - self.beta1) * grad
        self._v = self.beta2 * self._v + (1 - self.beta2) * grad**2
        m_hat = self._m / (1 - self.beta1**self._t)
        v_hat = self._v / (1 - self.beta2**self._t)
        return w - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


class StopTraining(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by an objective to end a scipy run early; ``scipy_minimize`` returns the best point so far."""


def scipy_minimize(method: str, w0: np.ndarray, fun: Callable, jac: bool | None, maxiter: int, learning_rate: float,
                   callback: Callable[[np.ndarray, float], bool]) -> np.ndarray:
    """Run COBYLA or L-BFGS-B; ``callback(x, loss)`` runs once per iteration and returns True to stop.

    ``jac=True``: ``fun`` returns (loss, gradient). COBYLA's initial trust-region radius is
    ``learning_rate`` (how far the first steps go) and ``maxiter`` counts its function evaluations.
    """
    from scipy.optimize import minimize

    last = {"x": np.array(w0, dtype=float)}
    best = {"x": np.array(w0, dtype=float), "f": np.inf}

    def tracked(x: np.ndarray):
        value = fun(x)
        f = value[0] if isinstance(value, tuple) else value
        if f < best["f"]:
            best["x"], best["f"] = np.array(x, dtype=float), f
        return value

    def cb(intermediate_result) -> None:
        x = np.asarray(intermediate_result.x, dtype=float)
        last["x"] = x
        if callback(x, float(intermediate_result.fun)):
            raise StopIteration  # scipy >= 1.11 ends the run cleanly

    try:
        if method == "cobyla":
            options = {"maxiter": maxiter, "rhobeg": learning_rate}
            res = minimize(tracked, w0, method="COBYLA", callback=cb, options=options)
        else:
            res = minimize(tracked, w0, jac=jac, method="L-BFGS-B", callback=cb, options={"maxiter": maxiter})
    except StopTraining:
        return best["x"]
    return np.asarray(res.x if res.x is not None else last["x"], dtype=float)
