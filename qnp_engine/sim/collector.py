"""What the applications on both ends observe: joins the two deliveries of each end-to-end pair,
checks that both ends agree, measures the delivered state and keeps per-request statistics.

This is the simulator's measuring apparatus (it may look at true states), not protocol logic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qnp_engine.backends.bell_index import correlation_flip
from qnp_engine.link.qubits import QuantumOps
from qnp_engine.network.circuit import Delivery


@dataclass
class RequestStats:
    name: str
    src: str
    dst: str
    path: list[str]
    start_s: float
    status: str = "pending"     # pending | active | complete | timeout | rejected; at the end also
    #                             unfinished (fewer pairs than asked) or ended (no pair count given)
    reason: str = ""
    delivered: int = 0
    expired: int = 0
    fidelity_sum: float = 0.0
    fidelity_sq_sum: float = 0.0
    latencies: list[float] = field(default_factory=list)
    latency_sum: float = 0.0
    last_delivery_s: float | None = None
    circuit: int | None = None
    pending_total: int | None = None  # pairs wanted (None: until the end of the run)

    @property
    def fidelity_mean(self) -> float:
        return self.fidelity_sum / self.delivered if self.delivered else 0.0

    def fidelity_ci95(self) -> tuple[float, float]:
        n = self.delivered
        if n == 0:
            return (0.0, 0.0)
        mean = self.fidelity_mean
        if n == 1:
            return (mean, mean)
        var = max(self.fidelity_sq_sum / n - mean * mean, 0.0) * n / (n - 1)
        half = 1.96 * math.sqrt(var / n)
        return (mean - half, mean + half)

    def throughput_hz(self) -> float:
        if not self.delivered or self.last_delivery_s is None or self.last_delivery_s <= self.start_s:
            return 0.0
        return self.delivered / (self.last_delivery_s - self.start_s)

    @property
    def latency_mean_s(self) -> float:
        return self.latency_sum / len(self.latencies) if self.latencies else 0.0

    def latency_p95_s(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class TestRoundStats:
    trials: dict[str, int] = field(default_factory=lambda: {"X": 0, "Y": 0, "Z": 0})
    errors: dict[str, int] = field(default_factory=lambda: {"X": 0, "Y": 0, "Z": 0})

    def estimated_fidelity(self) -> float | None:
        """F = 1 - (Q_X + Q_Y + Q_Z)/2 (notes R3); None until every basis has a trial."""
        if min(self.trials.values()) == 0:
            return None
        return 1.0 - sum(self.errors[b] / self.trials[b] for b in "XYZ") / 2.0


class DeliveryCollector:
    def __init__(self, ops: QuantumOps, keep_outcomes: bool = False, keep_states: int = 0, seed: int = 0) -> None:
        self.ops = ops
        self._fidelity = ops.backend.fidelity  # (state, bell index) -> F; once per delivered pair
        self.keep_outcomes = keep_outcomes
        # A uniform sample (reservoir) of delivered pair states, for "verify with another engine".
        # Its own generator: keeping states must not change the run's random stream.
        self.keep_states = keep_states
        self.kept_states: list = []
        self._delivered_total = 0
        self._reservoir_rng = np.random.default_rng([seed, 0x5EED])
        self.requests: dict[str, RequestStats] = {}
        self.tests: dict[int, TestRoundStats] = {}
        self.outcomes: dict[str, list[tuple[str, int, str, int]]] = {}
        self.fidelities: dict[str, list[float]] = {}
        self.heads: dict[int, str] = {}
        self._half: dict[tuple[int, int], Delivery] = {}
        self.mismatches = 0
        self.surplus = 0
        self.on_all_done: Callable[[], None] | None = None  # every admitted request has finished

    def _check_done(self) -> None:
        for r in self.requests.values():
            if r.status in ("pending", "active"):
                return
            if r.status == "complete" and r.pending_total is not None and r.delivered < r.pending_total:
                return  # the last pair's second hand-over is still on its way
        if self.on_all_done is not None:
            self.on_all_done()

    def deliver(self, d: Delivery) -> None:
        key = (d.circuit, d.pair_id)
        first = self._half.pop(key, None)
        if first is None:
            self._half[key] = d
            return
        head, tail = (first, d) if first.node == self.heads[d.circuit] else (d, first)
        _, circuit, _, request, sequence, bell, _, pair, basis, test_round = head
        if request != tail.request or sequence != tail.sequence or bell != tail.bell_index or pair is not tail.pair:
            self.mismatches += 1  # invariant 1 of notes §1.15; tests assert this stays 0
            return
        if test_round:
            stats = self.tests.setdefault(circuit, TestRoundStats())
            a, b = self.ops.measure(pair, (basis, basis))
            b ^= correlation_flip(bell, basis)
            stats.trials[basis] += 1
            stats.errors[basis] += a != b
            return
        if request is None:
            self.surplus += 1
            return
        r = self.requests[request]
        f = self._fidelity(pair.state, bell)
        r.delivered += 1
        r.fidelity_sum += f
        r.fidelity_sq_sum += f * f
        latency = d.time_s - pair.born_s
        r.latencies.append(latency)
        r.latency_sum += latency
        r.last_delivery_s = d.time_s
        fids = self.fidelities.get(request)
        if fids is None:
            fids = self.fidelities[request] = []
        fids.append(f)
        if self.keep_states:
            self._keep(pair.state)
        if self.keep_outcomes and basis is not None and tail.basis is not None:
            a, b = self.ops.measure(pair, (basis, tail.basis))
            b ^= correlation_flip(bell, tail.basis)  # the tail's fix-up from the Bell index
            self.outcomes.setdefault(request, []).append((basis, a, tail.basis, b))
        if r.status != "active" and r.pending_total is not None and r.delivered >= r.pending_total:
            self._check_done()

    def _keep(self, state) -> None:
        self._delivered_total += 1
        if len(self.kept_states) < self.keep_states:
            self.kept_states.append(state)
            return
        j = int(self._reservoir_rng.integers(self._delivered_total))
        if j < self.keep_states:
            self.kept_states[j] = state

    def request_event(self, name: str, event: str, detail: str) -> None:
        r = self.requests.get(name)
        if r is None:
            return
        if event == "started":
            r.status = "active"
        elif event == "expired":
            r.expired += 1
        elif event == "complete":
            r.status = "complete" if detail == "done" else detail
            self._check_done()
