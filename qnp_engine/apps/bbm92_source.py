"""Measurement records of BBM92 pairs drawn from a backend state (for tests, benchmarks, previews).

Apps layer. Each side picks Z or X uniformly at random per pair, as a measure-directly request with
basis XZ does; outcomes are sampled from the backend's joint distribution by one uniform number per
pair and inverse-CDF over 00, 01, 10, 11 (the ``StateBackend.measure`` convention), vectorised when
the backend exposes ``outcome_probabilities`` and pair by pair otherwise. Records are the simulator's
``(basis_a, bit_a, basis_b, bit_b)`` tuples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qnp_engine.backends.base import StateBackend

Outcome = tuple[str, int, str, int]


def sample_outcomes(
    backend: StateBackend, state: Any, pairs: int, rng: np.random.Generator, bases: tuple[str, ...] = ("Z", "X")
) -> list[Outcome]:
    """``pairs`` measurement records of identical copies of ``state``."""
    choice_a = rng.integers(0, len(bases), size=pairs)
    choice_b = rng.integers(0, len(bases), size=pairs)
    u = rng.random(pairs)
    out_a = np.empty(pairs, dtype=np.int64)
    out_b = np.empty(pairs, dtype=np.int64)
    probs = getattr(backend, "outcome_probabilities", None)
    for i, ba in enumerate(bases):
        for j, bb in enumerate(bases):
            sel = (choice_a == i) & (choice_b == j)
            if probs is None:
                for idx in np.flatnonzero(sel):
                    out_a[idx], out_b[idx] = backend.measure(state, (ba, bb), float(u[idx]))
                continue
            p = np.asarray(probs(state, (ba, bb)), dtype=float)
            cdf = np.cumsum(p / p.sum())
            k = np.minimum(np.searchsorted(cdf, u[sel], side="right"), 3)
            out_a[sel], out_b[sel] = k >> 1, k & 1
    return [
        (bases[a], int(x), bases[b], int(y))
        for a, x, b, y in zip(choice_a.tolist(), out_a.tolist(), choice_b.tolist(), out_b.tolist(), strict=True)
    ]
