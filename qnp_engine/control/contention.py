"""Circuits that can block each other at a repeater's memory (a control-plane check before running).

A repeater swaps two link pairs of the same circuit, and a node holds its half of a link pair until the
pair is swapped (repeaters) or delivered (end nodes). When circuits without a cutoff cross a repeater over
the same two links, the pairs they hold there wait until their partners arrive on the other link. A link
has at most ``c`` pairs in flight, ``c`` the smaller number of qubits per link of its two ends, and fair
shares give each circuit at most one of them once there are more circuits than qubits; so ``c1 + c2``
such circuits can fill both links with pairs whose partners can never be generated, and every one of them
waits for ever (the hazard in docs/engine.md). A cutoff on them, or more qubits per link, breaks the cycle.
The check is conservative: whether circuits really block depends on the order in which their pairs come.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from qnp_engine.model.scenario import Scenario

if TYPE_CHECKING:  # planning calls this module; the plan type is only annotated here
    from qnp_engine.control.planning import CircuitPlan


def blocking_warnings(scenario: Scenario, circuits: list[CircuitPlan]) -> dict[int, list[str]]:
    """Circuit id -> warnings: the repeaters where it and other cutoff-free circuits can block each other."""
    qubits = {n.name: n.memory.qubits_per_link for n in scenario.topology.nodes}
    links = scenario.topology.links
    names = {c.circuit_id: ", ".join(r.name for r in c.requests) for c in circuits}
    crossing: dict[tuple[str, frozenset[int]], list[int]] = defaultdict(list)
    for c in circuits:
        if c.cutoff_s is not None:
            continue  # its pairs are discarded in time: it cannot hold a qubit for ever
        for pos in range(1, len(c.path) - 1):
            pair = frozenset((c.link_indices[pos - 1], c.link_indices[pos]))
            crossing[(c.path[pos], pair)].append(c.circuit_id)
    warnings: dict[int, list[str]] = defaultdict(list)
    for (node, pair), ids in crossing.items():
        in_flight = sum(min(qubits[links[i].a], qubits[links[i].b]) for i in pair)
        if len(ids) < in_flight:
            continue
        via = " and ".join(sorted(f"{links[i].a}-{links[i].b}" for i in pair))
        needed = len(ids) // 2 + 1
        short = sorted({end for i in pair for end in (links[i].a, links[i].b) if qubits[end] < needed})
        for cid in ids:
            others = "; ".join(names[o] for o in ids if o != cid)
            warnings[cid].append(
                f"can block at {node}: {len(ids)} circuits without a cutoff cross it over {via}, which hold "
                f"{in_flight} pair(s) at a time (with {others}); set cutoff_s or give {', '.join(short)} "
                f"qubits_per_link >= {needed}")
    return dict(warnings)
