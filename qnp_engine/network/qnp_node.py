"""One node's QNP entity: demultiplexes link-layer OKs by link label and messages by circuit.

The tables follow the P4 data plane of the reference notes (§1.4): an OK whose label is unknown
releases the qubit at once; a message for an unknown circuit is dropped.
"""

from __future__ import annotations

from functools import partial

from qnp_engine.link.link_layer import LinkLayer
from qnp_engine.link.messages import LinkErr, LinkOk
from qnp_engine.network.end_node import EndNode
from qnp_engine.network.intermediate import Intermediate


class QnpNode:
    def __init__(self, name: str) -> None:
        self.name = name
        # (link index, label) -> (role object, side); side is None for end nodes
        self.egp_table: dict[tuple[int, int], tuple[EndNode | Intermediate, int | None]] = {}
        self.circuits: dict[int, EndNode | Intermediate] = {}
        self.links: dict[int, LinkLayer] = {}
        self.unknown_label_releases = 0
        self.dropped_messages = 0

    def attach(self, link: LinkLayer) -> None:
        self.links[link.index] = link
        link.bind(self.name, self.on_ok, self.on_err)

    def install(self, circuit_id: int, role: EndNode | Intermediate,
                entries: list[tuple[int, int, int | None]]) -> None:
        self.circuits[circuit_id] = role
        for link_index, label, side in entries:
            self.egp_table[(link_index, label)] = (role, side)
            # Let the link hand OKs for this label straight to the role (the table's fast path).
            handler = role.on_ok if side is None else partial(role.on_side_ok, side)
            self.links[link_index].route(self.name, label, handler)

    def on_ok(self, ok: LinkOk) -> None:
        entry = self.egp_table.get((ok.link, ok.purpose))
        if entry is None:
            self.unknown_label_releases += 1
            ok.qubit.frozen = True
            self.links[ok.link].release(self.name, ok.purpose)
            return
        role, side = entry
        if side is None:
            role.on_ok(ok)
        else:
            role.on_ok(ok, side)

    def on_err(self, err: LinkErr) -> None:
        for (link_index, label), (role, _) in self.egp_table.items():
            if link_index == err.link and label == err.purpose:
                role.on_link_err(err)
                return

    def receive(self, msg, sender: str) -> None:
        role = self.circuits.get(msg.circuit)
        if role is None:
            self.dropped_messages += 1
            return
        role.on_message(msg, sender)
