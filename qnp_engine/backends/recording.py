"""Operation histories of states, and their replay on another engine (backends layer).

``RecordingBackend`` wraps any backend: each state it returns carries the node of its history
(lineage) - how it was created, every decoherence step with its channel parameters, the swaps
that joined it with their ``u`` and outcome - plus the measurements made on it. ``replay`` runs
a history again on another backend with the same ``u`` values; ``verify_report`` /
``verify_with`` do that for a sample of states and report the largest fidelity difference
("verify with CUDA-Q": ``verify_with(delivered_states, make_backend("cudaq"))``).
Histories form a DAG (a swap has two parents); replay is iterative, so long chains cannot hit
the recursion limit, and a shared ancestor is replayed once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qnp_engine.backends.base import StateBackend


@dataclass(frozen=True, eq=False, slots=True)
class Create:
    probabilities: tuple[float, ...] | None = None  # Bell-diagonal creation
    rho: np.ndarray | None = field(default=None, repr=False)  # density-matrix creation

    def parents(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, eq=False, slots=True)
class Decohere:
    parent: Node
    qubit: int
    gamma: float
    p_z: float
    p_dep: float

    def parents(self) -> tuple[Node, ...]:
        return (self.parent,)


@dataclass(frozen=True, eq=False, slots=True)
class Swap:
    left: Node
    q1: int
    right: Node
    q2: int
    u: float
    outcome: int

    def parents(self) -> tuple[Node, ...]:
        return (self.left, self.right)


Node = Create | Decohere | Swap


@dataclass(frozen=True, slots=True)
class Measurement:
    bases: tuple[str, str]
    u: float
    outcome: tuple[int, int]


MAX_MEASUREMENTS = 16


class RecordedState:
    """A state of the wrapped backend, its history node, and the measurements made on it.

    States are immutable and the simulator may share one object between pairs with the same
    history (a link's fresh pair before any storage): every measurement on it is then a valid
    measurement of that history. The first ``MAX_MEASUREMENTS`` are kept for replay; ``measured``
    counts them all.
    """

    __slots__ = ("inner", "node", "measurements", "measured", "backend")

    def __init__(self, inner: Any, node: Node, backend: StateBackend):
        self.inner = inner
        self.node = node
        self.backend = backend  # the engine that produced ``inner`` (to read it back when verifying)
        self.measurements: list[Measurement] = []
        self.measured = 0


class RecordingBackend(StateBackend):
    """Delegates every operation to ``inner`` and records it; reports the inner engine's name."""

    def __init__(self, inner: StateBackend):
        self.inner = inner
        self.name = inner.name
        self.target = inner.target

    def _wrap(self, inner_state: Any, node: Node) -> RecordedState:
        return RecordedState(inner_state, node, self.inner)

    def create_bell_diagonal(self, probabilities: Sequence[float]) -> RecordedState:
        p = tuple(float(x) for x in probabilities)
        return self._wrap(self.inner.create_bell_diagonal(p), Create(probabilities=p))

    def create_density_matrix(self, rho: np.ndarray) -> RecordedState:
        rho = np.array(rho, dtype=complex)
        return self._wrap(self.inner.create_density_matrix(rho), Create(rho=rho))

    def decohere(self, state: RecordedState, qubit: int, gamma: float, p_z: float, p_dep: float) -> RecordedState:
        node = Decohere(state.node, qubit, float(gamma), float(p_z), float(p_dep))
        return self._wrap(self.inner.decohere(state.inner, qubit, gamma, p_z, p_dep), node)

    def swap(self, s1: RecordedState, q1: int, s2: RecordedState, q2: int, u: float) -> tuple[int, RecordedState]:
        m, joined = self.inner.swap(s1.inner, q1, s2.inner, q2, u)
        return m, self._wrap(joined, Swap(s1.node, q1, s2.node, q2, float(u), m))

    def measure(self, state: RecordedState, bases: tuple[str, str], u: float) -> tuple[int, int]:
        outcome = self.inner.measure(state.inner, bases, u)
        state.measured += 1
        if len(state.measurements) < MAX_MEASUREMENTS:
            state.measurements.append(Measurement(tuple(bases), float(u), tuple(outcome)))  # type: ignore[arg-type]
        return outcome

    def fidelity(self, state: RecordedState, bell_index: int) -> float:
        return self.inner.fidelity(state.inner, bell_index)

    def density_matrix(self, state: RecordedState) -> np.ndarray:
        return self.inner.density_matrix(state.inner)


# -- lineage as data ------------------------------------------------------------------------------


def _topological(root: Node) -> list[Node]:
    """Ancestors before descendants, each node once (iterative depth-first post-order)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents()) if id(p) not in seen)
    return order


def lineage(state: RecordedState) -> list[dict[str, Any]]:
    """The history as JSON-able steps in execution order; ``inputs`` refer to earlier step ids."""
    order = _topological(state.node)
    ids = {id(n): i for i, n in enumerate(order)}
    steps: list[dict[str, Any]] = []
    for i, n in enumerate(order):
        if isinstance(n, Create):
            if n.probabilities is not None:
                steps.append({"id": i, "op": "create", "bell_probabilities": list(n.probabilities)})
            else:
                rho = np.asarray(n.rho)
                steps.append({"id": i, "op": "create", "rho_real": rho.real.tolist(), "rho_imag": rho.imag.tolist()})
        elif isinstance(n, Decohere):
            steps.append(
                {"id": i, "op": "decohere", "inputs": [ids[id(n.parent)]], "qubit": n.qubit,
                 "gamma": n.gamma, "p_z": n.p_z, "p_dep": n.p_dep}
            )  # fmt: skip
        else:
            steps.append(
                {"id": i, "op": "swap", "inputs": [ids[id(n.left)], ids[id(n.right)]], "q1": n.q1, "q2": n.q2,
                 "u": n.u, "outcome": n.outcome}
            )  # fmt: skip
    for m in state.measurements:
        steps.append({"id": len(steps), "op": "measure", "bases": list(m.bases), "u": m.u, "outcome": list(m.outcome)})
    return steps


# -- replay and verification ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replay:
    state: Any  # a state of the replaying backend
    outcome_mismatches: int  # swaps whose replayed outcome differs from the recorded one


def replay(history: Node, backend: StateBackend) -> Replay:
    """Run a history again on ``backend`` with the recorded ``u`` of every swap."""
    states: dict[int, Any] = {}
    mismatches = 0
    for n in _topological(history):
        if isinstance(n, Create):
            if n.probabilities is not None:
                states[id(n)] = backend.create_bell_diagonal(n.probabilities)
            else:
                states[id(n)] = backend.create_density_matrix(n.rho)
        elif isinstance(n, Decohere):
            states[id(n)] = backend.decohere(states[id(n.parent)], n.qubit, n.gamma, n.p_z, n.p_dep)
        else:
            m, states[id(n)] = backend.swap(states[id(n.left)], n.q1, states[id(n.right)], n.q2, n.u)
            mismatches += int(m != n.outcome)
    return Replay(states[id(history)], mismatches)


@dataclass(frozen=True, slots=True)
class VerificationReport:
    engine: str  # "cudaq (density-matrix-cpu)"
    checked: int
    max_fidelity_difference: float  # over the four Bell fidelities of every checked state
    max_matrix_difference: float  # largest |entry| of the density-matrix difference
    outcome_mismatches: int  # swap and measurement outcomes that differ for the same u

    @property
    def agrees(self) -> bool:
        return self.outcome_mismatches == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "checked": self.checked,
            "max_fidelity_difference": self.max_fidelity_difference,
            "max_matrix_difference": self.max_matrix_difference,
            "outcome_mismatches": self.outcome_mismatches,
        }


def verify_report(
    states: Iterable[RecordedState], other: StateBackend, sample: int | None = None, seed: int = 0
) -> VerificationReport:
    """Replay (a random sample of) ``states`` on ``other`` and compare with the recorded engine."""
    chosen = list(states)
    for s in chosen:
        if not isinstance(s, RecordedState):
            raise TypeError("verify: states must come from a RecordingBackend (wrap the engine to keep histories)")
    if sample is not None and sample < len(chosen):
        picks = np.random.default_rng(seed).choice(len(chosen), size=sample, replace=False)
        chosen = [chosen[i] for i in sorted(picks)]
    max_f = max_m = 0.0
    mismatches = 0
    for s in chosen:
        r = replay(s.node, other)
        mismatches += r.outcome_mismatches
        for k in range(4):
            max_f = max(max_f, abs(s.backend.fidelity(s.inner, k) - other.fidelity(r.state, k)))
        diff = s.backend.density_matrix(s.inner) - other.density_matrix(r.state)
        max_m = max(max_m, float(np.abs(diff).max()))
        for meas in s.measurements:
            mismatches += int(tuple(other.measure(r.state, meas.bases, meas.u)) != meas.outcome)
    return VerificationReport(other.describe(), len(chosen), max_f, max_m, mismatches)


def verify_with(
    states: Iterable[RecordedState], other: StateBackend, sample: int | None = None, seed: int = 0
) -> float:
    """The largest fidelity difference between the recorded states and their replay on ``other``."""
    return verify_report(states, other, sample, seed).max_fidelity_difference
