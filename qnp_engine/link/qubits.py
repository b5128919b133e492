"""Qubit handles and the two-qubit pairs they belong to, with lazy memory decoherence.

A ``Qubit`` lives in one node's memory; its ``EntangledPair`` holds the backend state. Noise is
applied only when a qubit is touched (swap, measurement, hand-over), from the time since it was
last touched: local channels on different qubits commute, so the order does not matter.
A measured (or handed-over) qubit is ``frozen`` and stops decohering. Measure-directly end nodes
freeze at once and their outcomes are sampled from the final joint state, which is equivalent
because a measurement commutes with operations on other qubits.
"""

from __future__ import annotations

from qnp_engine.backends.base import StateBackend
from qnp_engine.physical.decoherence import DecayFunction


class EntangledPair:
    __slots__ = ("state", "qubits", "born_s")

    def __init__(self, state, qubits: list[Qubit], born_s: float):
        self.state = state
        self.qubits = qubits
        self.born_s = born_s  # heralding time of the oldest link pair joined into this pair


class Qubit:
    """One memory qubit holding half of a pair; ``frozen`` (measured, handed over, or a noiseless
    memory) stops its decoherence, ``decay`` maps storage time to the memory's channel parameters."""

    __slots__ = ("node", "pair", "index", "last_touch", "frozen", "decay")

    def __init__(self, node: str, index: int, now: float, frozen: bool, decay: DecayFunction):
        self.node = node
        self.pair: EntangledPair | None = None
        self.index = index  # which qubit of its pair's state
        self.last_touch = now
        self.frozen = frozen
        self.decay = decay


class QuantumOps:
    """The network layer's narrow window onto quantum states (through one ``StateBackend``)."""

    __slots__ = ("backend", "sched", "_decohere")

    def __init__(self, backend: StateBackend, sched) -> None:
        self.backend = backend
        self.sched = sched
        self._decohere = backend.decohere

    def new_pair(self, state, q0: Qubit, q1: Qubit) -> EntangledPair:
        pair = EntangledPair(state, [q0, q1], self.sched.now)
        q0.pair, q0.index = pair, 0
        q1.pair, q1.index = pair, 1
        return pair

    def touch(self, q: Qubit) -> None:
        now = self.sched.now
        if not q.frozen:
            dt = now - q.last_touch
            if dt > 0.0:
                pair = q.pair
                pair.state = self._decohere(pair.state, q.index, *q.decay(dt))
        q.last_touch = now

    def freeze(self, q: Qubit) -> None:
        now = self.sched.now
        if not q.frozen:  # touch, inlined
            dt = now - q.last_touch
            if dt > 0.0:
                pair = q.pair
                pair.state = self._decohere(pair.state, q.index, *q.decay(dt))
            q.frozen = True
        q.last_touch = now

    def swap(self, qa: Qubit, qb: Qubit) -> tuple[int, EntangledPair]:
        """Bell measurement of two qubits at one node; returns the outcome and the joined pair."""
        now = self.sched.now
        p1, p2 = qa.pair, qb.pair
        # Bring both qubits up to now (touch, inlined: this is the hot path of every repeater).
        if not qa.frozen:
            dt = now - qa.last_touch
            if dt > 0.0:
                p1.state = self._decohere(p1.state, qa.index, *qa.decay(dt))
        if not qb.frozen:
            dt = now - qb.last_touch
            if dt > 0.0:
                p2.state = self._decohere(p2.state, qb.index, *qb.decay(dt))
        qa.last_touch = qb.last_touch = now
        ia, ib = qa.index, qb.index
        outcome, state = self.backend.swap(p1.state, ia, p2.state, ib, self.sched.uniform())
        x = p1.qubits[1 - ia]
        z = p2.qubits[1 - ib]
        # The joined pair re-uses the first pair's object: nothing else refers to the two pairs
        # that the Bell measurement consumed (their measured qubits are dropped below).
        joined = p1
        joined.state = state
        joined.qubits = [x, z]
        b2 = p2.born_s
        if b2 < joined.born_s:
            joined.born_s = b2
        z.pair = joined
        x.index = 0
        z.index = 1
        qa.frozen = qb.frozen = True
        qa.pair = qb.pair = None
        return outcome, joined

    def fidelity(self, pair: EntangledPair, bell_index: int) -> float:
        return self.backend.fidelity(pair.state, bell_index)

    def measure(self, pair: EntangledPair, bases: tuple[str, str]) -> tuple[int, int]:
        return self.backend.measure(pair.state, bases, self.sched.uniform())
