"""Effective dimension (layer: qnn): Abbas et al., "The power of quantum neural networks", Nat. Comput. Sci. 2021.

For a model with output probabilities p_k(x; theta) and d weights, the Fisher information is
F(theta) = E_x[sum_k grad p_k grad p_k^T / p_k]; with F_hat = d F / E_theta[tr F] the effective
dimension for n data is

    d_eff(n) = 2 log( E_theta[ sqrt(det(1 + gamma n F_hat / (2 pi log n))) ] ) / log(gamma n / (2 pi log n)),

gamma = 1 (as in the paper's figures and qiskit-machine-learning). The global version averages over
weights drawn uniformly from [-1, 1]^d, the local one uses a single (trained) weight vector. Inputs
are standard normal, as in the paper. The classical comparison is a feed-forward network (tanh,
softmax output, no biases) with exactly d weights; ``effective_dimension_curve`` returns plot data.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import logsumexp

from qnp_engine.qnn.config import Readout
from qnp_engine.qnn.engine_base import QnnEngine


def fisher_matrices(probs: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """(S, K) probabilities and (S, K, d) gradients -> (S, d, d) per-sample Fisher matrices."""
    safe = np.clip(probs, 0.0, None)
    scaled = np.divide(grads, np.sqrt(safe)[..., None], out=np.zeros_like(grads), where=safe[..., None] > 0)
    return np.einsum("ski,skj->sij", scaled, scaled)


def normalized_fisher(fishers: np.ndarray, num_weight_samples: int) -> np.ndarray:
    """Average over the inputs of each weight sample, scaled so the mean trace is d: (W, d, d)."""
    d = fishers.shape[-1]
    per_weight = fishers.reshape(num_weight_samples, -1, d, d).mean(axis=1)
    trace = np.trace(fishers.mean(axis=0))
    return d * per_weight / trace


def effective_dimension(fhat: np.ndarray, dataset_sizes) -> np.ndarray:
    """d_eff for each n in ``dataset_sizes`` from normalised Fisher matrices (W, d, d)."""
    n = np.atleast_1d(np.asarray(dataset_sizes, dtype=float))
    d = fhat.shape[-1]
    kappa = n / (2 * np.pi * np.log(n))
    mats = np.eye(d) + kappa[:, None, None, None] * fhat[None]  # (len(n), W, d, d)
    half_logdet = np.linalg.slogdet(mats)[1] / 2
    # log of the mean of sqrt(det) over weight samples, stably
    log_mean = logsumexp(half_logdet, axis=1) - np.log(fhat.shape[0])
    return 2 * log_mean / np.log(kappa)


def model_probabilities(engine: QnnEngine, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Output probabilities and their weight gradients; an expectation o counts as ((1 + o)/2, (1 - o)/2)."""
    out, jac = engine.jacobian(x, w)
    if engine.readout.kind is Readout.SAMPLER:
        return out, jac
    return np.concatenate([(1 + out) / 2, (1 - out) / 2], axis=1), np.concatenate([jac / 2, -jac / 2], axis=1)


def quantum_fishers(engine: QnnEngine, inputs: np.ndarray, weight_sets: np.ndarray) -> np.ndarray:
    """(W * I, d, d) Fisher matrices, weight-sample major (as qiskit-machine-learning orders them)."""
    blocks = [fisher_matrices(*model_probabilities(engine, inputs, w)) for w in weight_sets]
    return np.concatenate(blocks)


# ----------------------------------------------------------------------------------------- classical


def classical_architecture(num_weights: int, num_inputs: int, num_outputs: int = 2) -> list[int]:
    """Layer sizes of a bias-free feed-forward net with exactly ``num_weights`` weights (1-3 hidden layers)."""
    d, s, k = num_weights, num_inputs, num_outputs
    if d % (s + k) == 0:
        return [s, d // (s + k), k]
    best: list[int] | None = None
    for a in range(1, d + 1):
        rest = d - s * a
        if rest > 0 and rest % (a + k) == 0:
            cand = [s, a, rest // (a + k), k]
            if best is None or abs(cand[1] - cand[2]) < abs(best[1] - best[2]):
                best = cand
    if best:
        return best
    for a, b in itertools.product(range(1, d + 1), repeat=2):
        rest = d - s * a - a * b
        if rest > 0 and rest % (b + k) == 0:
            return [s, a, b, rest // (b + k), k]
    raise ValueError(f"no bias-free network with {num_inputs} inputs and {num_weights} weights (1-3 hidden layers)")


class ClassicalNet:
    """Feed-forward net: tanh hidden layers, softmax output, no biases; weights as one flat vector."""

    def __init__(self, sizes: list[int]):
        self.sizes = list(sizes)
        self.shapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.num_weights = sum(a * b for a, b in self.shapes)

    def _unflatten(self, w: np.ndarray) -> list[np.ndarray]:
        mats, start = [], 0
        for shape in self.shapes:
            size = shape[0] * shape[1]
            mats.append(w[start:start + size].reshape(shape))
            start += size
        return mats

    def probabilities_and_gradients(self, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(S, K) softmax outputs and (S, K, d) their gradients by back-propagation."""
        mats = self._unflatten(np.asarray(w, dtype=float))
        acts = [np.atleast_2d(x)]
        for m in mats[:-1]:
            acts.append(np.tanh(acts[-1] @ m.T))
        logits = acts[-1] @ mats[-1].T
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        s, k = p.shape
        grads = np.zeros((s, k, self.num_weights))
        for c in range(k):
            delta = p[:, [c]] * ((np.arange(k) == c) - p)  # d p_c / d logits, (S, K)
            pieces = []
            for layer in range(len(mats) - 1, -1, -1):
                pieces.append(np.einsum("so,si->soi", delta, acts[layer]).reshape(s, -1))
                if layer:
                    delta = (delta @ mats[layer]) * (1 - acts[layer] ** 2)
            grads[:, c] = np.concatenate(pieces[::-1], axis=1)
        return p, grads


# ----------------------------------------------------------------------------------------- curve


def effective_dimension_curve(engine: QnnEngine, dataset_sizes, weight_samples: int = 10, input_samples: int = 20,
                              seed: int = 1, trained_weights: np.ndarray | None = None) -> dict:
    """Normalised effective dimension (d_eff / d) vs number of data, quantum and classical, as plot data."""
    rng = np.random.default_rng([seed, 7])
    d = engine.circuit.num_weights
    s_in = engine.circuit.num_inputs
    inputs = rng.standard_normal((input_samples, s_in))
    sizes = [int(n) for n in dataset_sizes]
    q_weights = rng.uniform(-1, 1, (weight_samples, d))
    q_global = effective_dimension(normalized_fisher(quantum_fishers(engine, inputs, q_weights), weight_samples),
                                   sizes)
    out = {"dataset_sizes": sizes, "num_weights": d, "input_samples": input_samples,
           "weight_samples": weight_samples, "quantum_global": (q_global / d).tolist()}
    if trained_weights is not None:
        f = quantum_fishers(engine, inputs, np.asarray(trained_weights, dtype=float)[None])
        out["quantum_local"] = (effective_dimension(normalized_fisher(f, 1), sizes) / d).tolist()
    sizes_c = classical_architecture(d, s_in)
    net = ClassicalNet(sizes_c)
    c_weights = rng.uniform(-1, 1, (weight_samples, net.num_weights))
    fishers = np.concatenate([fisher_matrices(*net.probabilities_and_gradients(inputs, w)) for w in c_weights])
    c_global = effective_dimension(normalized_fisher(fishers, weight_samples), sizes)
    out["classical_layers"] = sizes_c
    out["classical_global"] = (c_global / d).tolist()
    return out
