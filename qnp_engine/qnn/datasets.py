"""Small bundled datasets (layer: qnn): generated or shipped inside a library, never downloaded.

two_moons / circles come from scikit-learn's generators, xor is four Gaussian blobs, iris is
scikit-learn's bundled copy, ad_hoc is qiskit-machine-learning's generator (already in angle units,
so it is not rescaled) and regression_sine is y = 0.8 sin(pi x) + noise. Features are scaled to
rotation angles in [0, pi] with the training set's range; the split is stratified for classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qnp_engine.qnn.config import Dataset, QnnConfig, Task

DEFAULT_NOISE = {
    Dataset.TWO_MOONS: 0.1, Dataset.CIRCLES: 0.05, Dataset.XOR: 0.25, Dataset.IRIS: 0.0,
    Dataset.AD_HOC: 0.3, Dataset.REGRESSION_SINE: 0.05,
}  # ad_hoc: the class gap


@dataclass
class Data:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int  # 0 for regression

    @property
    def num_features(self) -> int:
        return self.x_train.shape[1]


def _raw(cfg: QnnConfig, noise: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets as skd

    n, seed = cfg.samples, cfg.seed
    rng = np.random.default_rng(seed)
    if cfg.dataset is Dataset.TWO_MOONS:
        return skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    if cfg.dataset is Dataset.CIRCLES:
        return skd.make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    if cfg.dataset is Dataset.XOR:
        y = rng.integers(0, 2, n)
        signs = rng.choice([-1.0, 1.0], size=n)  # the first coordinate's side
        centres = np.stack([signs, np.where(y == 1, -signs, signs)], axis=1)
        return centres + noise * rng.standard_normal((n, 2)), y
    if cfg.dataset is Dataset.IRIS:
        x, y = skd.load_iris(return_X_y=True)
        if cfg.resolved_task is Task.BINARY:  # setosa vs versicolor
            keep = y < 2
            x, y = x[keep], y[keep]
        idx = rng.permutation(len(y))[: min(n, len(y))]
        return x[idx], y[idx]
    if cfg.dataset is Dataset.REGRESSION_SINE:
        x = rng.uniform(-1.0, 1.0, (n, 1))
        return x, 0.8 * np.sin(math.pi * x[:, 0]) + noise * rng.standard_normal(n)
    raise AssertionError(cfg.dataset)


def _ad_hoc(cfg: QnnConfig, gap: float) -> Data:
    from qiskit_machine_learning.datasets import ad_hoc_data
    from qiskit_machine_learning.utils import algorithm_globals

    # ad_hoc_data draws from qiskit-ml's global generator; seeding it is the library's own API.
    algorithm_globals.random_seed = cfg.seed
    n_test = max(1, round(cfg.samples * cfg.test_fraction / 2))
    n_train = max(1, cfg.samples // 2 - n_test)
    xtr, ytr, xte, yte = ad_hoc_data(training_size=n_train, test_size=n_test, n=cfg.qubits, gap=gap,
                                     one_hot=False)
    return Data("ad_hoc", xtr, ytr.astype(int), xte, yte.astype(int), 2)


def load_dataset(cfg: QnnConfig) -> Data:
    """The configured dataset, split and scaled to rotation angles."""
    from sklearn.model_selection import train_test_split

    noise = cfg.noise if cfg.noise is not None else DEFAULT_NOISE[cfg.dataset]
    if cfg.dataset is Dataset.AD_HOC:
        return _ad_hoc(cfg, noise)
    x, y = _raw(cfg, noise)
    regression = cfg.resolved_task is Task.REGRESSION
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=cfg.test_fraction, random_state=cfg.seed,
                                          stratify=None if regression else y)
    lo, hi = xtr.min(axis=0), xtr.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)

    def scale(a: np.ndarray) -> np.ndarray:
        return (a - lo) / span * math.pi

    num_classes = 0 if regression else int(np.max(y)) + 1
    if not regression:
        ytr, yte = ytr.astype(int), yte.astype(int)
    return Data(cfg.dataset.value, scale(xtr), ytr, scale(xte), yte, num_classes)
