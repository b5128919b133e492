"""Distributed QNN (layer: qnn): the model's qubits on several network nodes, remote gates by teleportation.

Every two-qubit gate whose qubits sit on different nodes becomes a remote gate (Eisert et al.,
PRA 62, 052317, 2000) that consumes one Bell pair between the two nodes: a local CX from the
control into the pair, a Z measurement sent to the target's node, the pair's other half controls
the gate on the target, an X measurement sent back corrects the control's phase. Measurements are
deferred (controlled corrections), so expectation values stay exact.

A Werner pair of fidelity F is a perfect pair with X, Y, Z each at probability (1 - F) / 3 on one
half (``depol``). Through the protocol that becomes, after the ideal gate, Z on the control, U on
the target (U = X for CX, Z for CZ) or both, each with probability (1 - F) / 3 (``noise_cx`` /
``noise_cz``): the ``channel`` form, which the tests check against the full ``teleport`` form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnp_engine.qnn.circuit import TWO_QUBIT, Circuit
from qnp_engine.qnn.config import DistributedCircuit, DistributedConfig

Pair = tuple[str, str]


@dataclass
class Placement:
    nodes: list[str]
    node_of: list[int]  # node index of each data qubit

    def pair(self, a: int, b: int) -> Pair | None:
        """The (sorted) node pair a gate on qubits a, b crosses, or None for a local gate."""
        u, v = self.nodes[self.node_of[a]], self.nodes[self.node_of[b]]
        return None if u == v else (min(u, v), max(u, v))

    def to_dict(self) -> dict:
        return {node: [q for q, k in enumerate(self.node_of) if k == i] for i, node in enumerate(self.nodes)}


def placement(cfg: DistributedConfig, num_qubits: int) -> Placement:
    """The configured partition, or contiguous blocks of near-equal size."""
    node_of = [0] * num_qubits
    groups = cfg.partition or [list(g) for g in np.array_split(np.arange(num_qubits), len(cfg.nodes))]
    for i, group in enumerate(groups):
        for q in group:
            node_of[int(q)] = i
    return Placement(list(cfg.nodes), node_of)


def remote_gate_counts(circuit: Circuit, where: Placement) -> dict[Pair, int]:
    """Bell pairs one circuit execution consumes, per node pair."""
    counts: dict[Pair, int] = {}
    for g in circuit.gates:
        if g.op in TWO_QUBIT:
            pair = where.pair(*g.qubits)
            if pair is not None:
                counts[pair] = counts.get(pair, 0) + 1
    return counts


@dataclass
class _Builder:
    out: Circuit
    noisy: bool
    ancillas: dict[Pair, dict[str, int]] = field(default_factory=dict)

    def ancilla(self, pair: Pair, node: str) -> int:
        slots = self.ancillas.setdefault(pair, {})
        if node not in slots:
            slots[node] = self.out.num_qubits
            self.out.num_qubits += 1
        return slots[node]

    def teleported(self, op: str, control: int, target: int, e_c: int, e_t: int, fidelity: float) -> None:
        add = self.out.add
        add("h", e_c)  # the Bell pair |Phi+> on (e_c, e_t), as the network delivers it
        add("cx", e_c, e_t)
        if fidelity < 1.0:
            add("depol", e_t, const=1.0 - fidelity)  # Werner pair of fidelity F
        add("cx", control, e_c)
        add("cx", e_c, e_t)  # deferred: measure e_c in Z, X^m on e_t
        add(op, e_t, target)  # e_t now carries the control's value
        add("h", e_t)
        add("cz", e_t, control)  # deferred: measure e_t in X, Z^m on the control
        add("h", e_c)  # both halves end in |+> for a perfect pair: back to |0> for the next gate
        add("h", e_t)
        if self.noisy:  # a noisy pair leaves them in |1> in some branches: reset (channel, not collapse)
            add("reset", e_c)
            add("reset", e_t)


def distribute(circuit: Circuit, where: Placement, fidelity: dict[Pair, float],
               mode: DistributedCircuit = DistributedCircuit.TELEPORT) -> Circuit:
    """The circuit as the network runs it: remote gates teleported (or their channel), pairs of ``fidelity``."""
    noisy = any(fidelity.get(p, 1.0) < 1.0 for p in remote_gate_counts(circuit, where))
    out = Circuit(num_qubits=circuit.num_qubits, num_inputs=circuit.num_inputs, num_weights=circuit.num_weights,
                  data_qubits=circuit.data_qubits)
    b = _Builder(out, noisy)
    for g in circuit.gates:
        pair = where.pair(*g.qubits) if g.op in TWO_QUBIT else None
        if pair is None:
            out.gates.append(g)
            continue
        f = fidelity.get(pair, 1.0)
        control, target = g.qubits
        if mode is DistributedCircuit.CHANNEL:
            out.gates.append(g)
            if f < 1.0:
                out.add("noise_" + g.op, control, target, const=(1.0 - f) / 3)
            continue
        node_c = where.nodes[where.node_of[control]]
        node_t = where.nodes[where.node_of[target]]
        b.teleported(g.op, control, target, b.ancilla(pair, node_c), b.ancilla(pair, node_t), f)
    return out


def with_channel(circuit: Circuit, where: Placement, fidelity: float) -> Circuit:
    """Monolithic circuit + the Werner-pair channel after every cross-node gate (the reference form)."""
    pairs = remote_gate_counts(circuit, where)
    return distribute(circuit, where, dict.fromkeys(pairs, fidelity), DistributedCircuit.CHANNEL)


def network_time_per_epoch(circuits: float, shots: int, gates: dict[Pair, int],
                           rates: dict[Pair, float | None]) -> float | None:
    """Seconds of Bell-pair generation an epoch needs: node pairs work in parallel, each at its rate.

    None when a needed rate is unknown.
    """
    used = {p: n for p, n in gates.items() if n > 0}
    if any(rates.get(p) is None for p in used):
        return None
    return max((circuits * shots * n / rates[p] for p, n in used.items()), default=0.0)
