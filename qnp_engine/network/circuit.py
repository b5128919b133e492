"""A virtual circuit as installed by signalling, and what the network layer hands upwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from qnp_engine.link.link_layer import LinkLayer
from qnp_engine.link.qubits import EntangledPair, QuantumOps


@dataclass(frozen=True)
class RequestSpec:
    """What the head-end needs of one application request (copied from the scenario's Request)."""

    name: str
    pairs: int | None
    rate_hz: float | None
    start_s: float
    deadline_s: float | None
    test_round_probability: float


@dataclass
class VirtualCircuit:
    """Per-circuit configuration shared by all nodes on the path (read-only during a run)."""

    circuit_id: int
    path: tuple[str, ...]
    links: tuple[LinkLayer, ...]   # links[i] joins path[i] and path[i+1]
    labels: tuple[int, ...]        # link label (purpose id) per hop
    keep: bool                     # create-and-keep (True) or measure-directly (False)
    bases: tuple[str, ...]         # measure-directly basis choices, e.g. ("X", "Z")
    cutoff_s: float | None
    weight: float
    link_min_fidelity: float
    requests: list[RequestSpec] = field(default_factory=list)

    @property
    def head(self) -> str:
        return self.path[0]

    @property
    def tail(self) -> str:
        return self.path[-1]


class Delivery(NamedTuple):
    """One end's hand-over of an end-to-end pair to the application (notes §1.2 DeliverMessage)."""

    node: str
    circuit: int
    pair_id: int
    request: str | None
    sequence: int
    bell_index: int
    time_s: float
    pair: EntangledPair
    basis: str | None          # measure-directly basis at this end (or the test-round basis)
    test_round: bool


@dataclass
class NetworkContext:
    """Services one node's protocol objects may use: below (link layers, quantum ops, clock) and
    the classical channel to neighbours; above: the application callbacks."""

    sched: object
    ops: QuantumOps
    send: Callable[..., None]          # (from_node, to_node, message[, at]): at = when a waiting TRACK arrived
    deliver: Callable[[Delivery], None]
    request_event: Callable[[str, str, str], None]      # (request, event, detail): started/complete/expired
