"""QNP control messages. They travel hop by hop along a circuit with the fibre delay.

Field names follow the reference reconstruction of the paper (notes §1.6); ``link_seq`` is the
link-layer sequence number of the link pair on the link the message is about to cross (with the
circuit's link label on that link it identifies the link pair at the next node).
"""

from __future__ import annotations

from typing import NamedTuple


class Forward(NamedTuple):
    circuit: int
    request: str
    pairs: int | None


class Complete(NamedTuple):
    circuit: int
    request: str
    reason: str  # done | timeout
    pairs_delivered: int


class Assignment(NamedTuple):
    """Head-end's decision for one end-to-end pair, carried in its TRACK."""

    request: str | None  # None: surplus pair, release it
    sequence: int
    test_basis: str | None = None  # set for a test round


class Track(NamedTuple):
    circuit: int
    pair_id: int        # head-end's link-layer sequence number on the first link (0 from the tail)
    bell_index: int     # Pauli frame accumulated so far
    link_seq: int
    from_head: bool
    assignment: Assignment | None
    t_origin: float


class Expire(NamedTuple):
    circuit: int
    link_seq: int
    to_head: bool
    reason: str
