"""Head-end and tail-end roles of a virtual circuit (notes §1.6, §1.8, §1.10).

Both ends: on a link-layer OK record the pending pair (measure-directly: measure at once and free
the memory qubit) and send a TRACK towards the other end; on the far end's TRACK deliver the pair
with the Bell index it carries; on EXPIRE drop the pending pair. The head-end alone manages
requests: it assigns pairs to requests FIFO, puts the assignment in its TRACK, counts deliveries
and sends COMPLETE exactly once per request. End nodes never discard on a timer.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from qnp_engine.link.messages import CreateRequest, LinkErr, LinkOk
from qnp_engine.link.qubits import Qubit
from qnp_engine.network.circuit import Delivery, NetworkContext, RequestSpec, VirtualCircuit
from qnp_engine.network.messages import Assignment, Complete, Expire, Forward, Track

TEST_BASES = ("X", "Y", "Z")
# Builds a NamedTuple from a full tuple of its fields without the Python-level __new__ of
# ``typing.NamedTuple`` (one function call less per message on the hot path).
_new = tuple.__new__


class _Pending(NamedTuple):
    """A link pair this end holds (or has measured) until the far end's TRACK or an EXPIRE."""

    qubit: Qubit
    basis: str | None                # measure-directly basis, None while the qubit is kept
    assignment: Assignment | None    # the head-end's decision (None at the tail)


class EndNode:
    """Shared behaviour of both ends; ``hop`` is the index of this end's link in the circuit."""

    def __init__(self, ctx: NetworkContext, vc: VirtualCircuit, is_head: bool) -> None:
        self.ctx = ctx
        self.vc = vc
        self.is_head = is_head
        self.node = vc.head if is_head else vc.tail
        self.neighbour = vc.path[1] if is_head else vc.path[-2]
        self.hop = 0 if is_head else len(vc.links) - 1
        self.link = vc.links[self.hop]
        self.label = vc.labels[self.hop]
        self.circuit_id = vc.circuit_id
        self.keep = vc.keep  # create-and-keep: the qubit is held until the far end's TRACK
        self.pending: dict[int, _Pending] = {}
        self.early: dict[int, Track] = {}
        self.early_tracks = 0
        self.link_errors: list[str] = []

    # -- link layer upcalls ------------------------------------------------------------------------
    def on_link_err(self, err: LinkErr) -> None:
        self.link_errors.append(err.detail)

    def on_ok(self, ok: LinkOk) -> None:
        ctx = self.ctx
        seq = ok.seq
        qubit = ok.qubit
        basis = None
        if not self.keep:
            # Measure directly: the qubit is measured now (it stops decohering) and its memory is free.
            ctx.ops.freeze(qubit)
            basis = self._pick_basis()
            self.link.release(self.node, self.label)
        now = ctx.sched.now
        if self.is_head:
            assignment = self._assign()
            track = _new(Track, (self.circuit_id, seq, ok.bell_index, seq, True, assignment, now))
        else:
            assignment = None
            track = _new(Track, (self.circuit_id, 0, ok.bell_index, seq, False, None, now))
        self.pending[seq] = _new(_Pending, (qubit, basis, assignment))
        ctx.send(self.node, self.neighbour, track)
        if self.early:
            early = self.early.pop(seq, None)
            if early is not None:
                self.on_track(early)

    # -- messages ----------------------------------------------------------------------------------
    def on_message(self, msg, sender: str) -> None:
        if isinstance(msg, Track):
            self.on_track(msg)
        elif isinstance(msg, Expire):
            self._on_expire(msg)
        elif isinstance(msg, Forward):
            self.ctx.request_event(msg.request, "forwarded", self.node)
        elif isinstance(msg, Complete):
            self.ctx.request_event(msg.request, "completed_at_tail", msg.reason)

    def on_track(self, track: Track) -> None:
        """The far end's TRACK has arrived (the simulator may call this directly: no other
        message type needs the dispatch of ``on_message``)."""
        entry = self.pending.pop(track.link_seq, None)
        if entry is None:
            # The far end's TRACK overtook our own OK (possible with skewed herald delivery).
            self.early_tracks += 1
            self.early[track.link_seq] = track
            return
        qubit, basis, assignment = entry
        if self.is_head:
            pair_id = track.link_seq
        else:
            assignment = track.assignment
            pair_id = track.pair_id
        ctx = self.ctx
        if self.keep:
            ctx.ops.freeze(qubit)  # handed to the application: its clock stops here
            self.link.release(self.node, self.label)
        if assignment is None:
            request, sequence, test_basis = None, -1, None
        else:
            request, sequence, test_basis = assignment
        ctx.deliver(_new(Delivery, (self.node, self.circuit_id, pair_id, request, sequence, track.bell_index,
                                    ctx.sched.now, qubit.pair, test_basis or basis, test_basis is not None)))
        if self.is_head:
            self._delivered(assignment)

    def _on_expire(self, msg: Expire) -> None:
        entry = self.pending.pop(msg.link_seq, None)
        if entry is None:
            return
        if self.keep:
            self.link.release(self.node, self.label)
        if self.is_head:
            self._expired(entry.assignment)

    def _pick_basis(self) -> str:
        bases = self.vc.bases
        if len(bases) == 1:
            return bases[0]
        return bases[int(self.ctx.sched.uniform() * len(bases))]

    # -- head-end hooks (no-ops at the tail) ---------------------------------------------------------
    def _assign(self) -> Assignment | None:
        return None

    def _delivered(self, assignment: Assignment | None) -> None:
        pass

    def _expired(self, assignment: Assignment | None) -> None:
        pass


class _RequestState:
    __slots__ = ("spec", "assigned", "delivered", "next_seq", "reuse", "done", "started", "deadline_timer")

    def __init__(self, spec: RequestSpec) -> None:
        self.spec = spec
        self.assigned = 0          # live assignments (not expired)
        self.delivered = 0
        self.next_seq = 0
        self.reuse: deque[int] = deque()
        self.done = False
        self.started = False
        self.deadline_timer = None


class HeadEnd(EndNode):
    def __init__(self, ctx: NetworkContext, vc: VirtualCircuit) -> None:
        super().__init__(ctx, vc, is_head=True)
        self.requests: dict[str, _RequestState] = {}
        self.queue: deque[_RequestState] = deque()  # FIFO of active requests
        self.generating = False
        self.test_probability = max((r.test_round_probability for r in vc.requests), default=0.0)
        for spec in vc.requests:
            state = _RequestState(spec)
            self.requests[spec.name] = state
            ctx.sched.call_at(spec.start_s, self.start_request, spec.name)

    # -- requests ------------------------------------------------------------------------------------
    def start_request(self, name: str) -> None:
        r = self.requests[name]
        r.started = True
        self.queue.append(r)
        if r.spec.deadline_s is not None:
            r.deadline_timer = self.ctx.sched.call_at(r.spec.deadline_s, self._deadline, name)
        self.ctx.request_event(name, "started", "")
        self.ctx.send(self.node, self.neighbour, Forward(self.vc.circuit_id, name, r.spec.pairs))
        if not self.generating:
            self.generating = True
            self.link.create(self.node, CreateRequest(self.label, self.vc.link_min_fidelity, self.vc.weight))

    def _deadline(self, name: str) -> None:
        self._complete(self.requests[name], "timeout")

    def _complete(self, r: _RequestState, reason: str) -> None:
        if r.done:
            return
        r.done = True
        self.ctx.sched.cancel(r.deadline_timer)
        if r in self.queue:
            self.queue.remove(r)
        self.ctx.request_event(r.spec.name, "complete", reason)
        self.ctx.send(self.node, self.neighbour, Complete(self.vc.circuit_id, r.spec.name, reason, r.delivered))
        if not self.queue and self.generating:
            self.generating = False
            self.link.stop(self.label)

    def _assign(self) -> Assignment:
        sched = self.ctx.sched
        if self.test_probability and sched.uniform() < self.test_probability:
            return _new(Assignment, (None, -1, TEST_BASES[int(sched.uniform() * 3)]))
        now = sched.now
        for r in self.queue:
            wanted = r.spec.pairs
            if wanted is not None and r.assigned + r.delivered >= wanted:
                continue
            if r.spec.rate_hz is not None and now < r.spec.start_s + (r.delivered + r.assigned) / r.spec.rate_hz:
                continue  # policing: the request's rate does not allow another pair yet
            r.assigned += 1
            seq_no = r.reuse.popleft() if r.reuse else r.next_seq
            if seq_no == r.next_seq:
                r.next_seq += 1
            return _new(Assignment, (r.spec.name, seq_no, None))
        return _new(Assignment, (None, -1, None))  # surplus: both ends release it

    def _delivered(self, assignment: Assignment | None) -> None:
        if assignment is None or assignment.request is None:
            return
        r = self.requests[assignment.request]
        r.assigned -= 1
        r.delivered += 1
        if r.spec.pairs is not None and r.delivered >= r.spec.pairs:
            self._complete(r, "done")

    def _expired(self, assignment: Assignment | None) -> None:
        if assignment is None or assignment.request is None:
            return
        r = self.requests[assignment.request]
        r.assigned -= 1
        r.reuse.append(assignment.sequence)
        self.ctx.request_event(assignment.request, "expired", "")


class TailEnd(EndNode):
    def __init__(self, ctx: NetworkContext, vc: VirtualCircuit) -> None:
        super().__init__(ctx, vc, is_head=False)
