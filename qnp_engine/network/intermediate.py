"""Intermediate (repeater) role of a virtual circuit (notes §1.6, §1.7, §1.9).

Swap as soon as possible, oldest with oldest, only link pairs of this circuit; no message waits
for a swap and no swap waits for a message. TRACKs follow the swaps lazily: a TRACK about a link
pair that was swapped is forwarded with the Bell index XOR-ed with the swap outcome and the other
link pair's index; one that arrives before the swap waits; one about a discarded pair returns as
EXPIRE. Cutoff timers run here only. Every table entry is removed once both directions have
passed (swap records) or after a bounded time (tombstones), so memory per pair in flight is O(1).
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from qnp_engine.link.messages import CreateRequest, LinkErr, LinkOk
from qnp_engine.link.qubits import Qubit
from qnp_engine.network.circuit import NetworkContext, VirtualCircuit
from qnp_engine.network.messages import Complete, Expire, Forward, Track

UP, DOWN = 0, 1
_new = tuple.__new__  # a NamedTuple from a full tuple of fields, without its Python-level __new__


class _LinkPair(NamedTuple):
    """A link pair waiting here for its partner on the other side (or for its cutoff)."""

    qubit: Qubit
    seq: int
    bell: int
    expires: float


class _SwapRecord:
    """One swap as a message arriving from either side sees it: ``hops[side]`` is (the next node,
    the Bell-index correction outcome ^ the other link pair's index, the other link pair's sequence
    number) for a TRACK or EXPIRE from ``side``; ``keys`` are its two entries in ``records``."""

    __slots__ = ("hops", "keys", "seen", "made")

    def __init__(self, hops: tuple[tuple[str, int, int], tuple[str, int, int]],
                 keys: tuple[tuple[int, int], tuple[int, int]], made: float) -> None:
        self.hops = hops
        self.keys = keys
        self.seen = [False, False]  # a message has arrived from side UP / DOWN
        self.made = made


class Intermediate:
    def __init__(self, ctx: NetworkContext, vc: VirtualCircuit, position: int, tombstone_ttl_s: float,
                 swap_time_s: float = 0.0) -> None:
        self.ctx = ctx
        self.vc = vc
        self.node = vc.path[position]
        self.neighbours = (vc.path[position - 1], vc.path[position + 1])
        self.links = (vc.links[position - 1], vc.links[position])
        self.labels = (vc.labels[position - 1], vc.labels[position])
        self.cutoff_s = vc.cutoff_s
        self.available: tuple[deque[_LinkPair], deque[_LinkPair]] = (deque(), deque())
        self.records: dict[tuple[int, int], _SwapRecord] = {}
        # TRACKs about link pairs not swapped yet: key -> (sent, delay, TRACK, parked); it arrives(d) at
        # sent + delay. A parked TRACK was taken at send time (see ``park``): it may still be on its way.
        self.waiting: dict[tuple[int, int], tuple[float, float, Track, bool]] = {}
        self.tombstones: dict[tuple[int, int], float] = {}
        self._tomb_order: deque[tuple[float, tuple[int, int]]] = deque()
        self.tombstone_ttl_s = tombstone_ttl_s
        self._records_expire = tombstone_ttl_s != float("inf")
        self._next_sweep = tombstone_ttl_s  # when to look for swap records no message will clear
        self._expiry: list = [None, None]  # one cutoff timer per side, for its oldest link pair
        self.swap_time_s = swap_time_s
        self.demand = 0
        self.swaps = 0
        self.discards = 0
        self.tracks_waited = 0
        self.link_errors: list[str] = []

    def side_of(self, sender: str) -> int:
        return UP if sender == self.neighbours[UP] else DOWN

    # -- link layer upcalls ----------------------------------------------------------------------------
    def on_link_err(self, err: LinkErr) -> None:
        self.link_errors.append(err.detail)

    def on_ok(self, ok: LinkOk, side: int) -> None:
        self.on_side_ok(side, ok)

    def on_side_ok(self, side: int, ok: LinkOk) -> None:
        """``on_ok`` with the side first, so that a link can be routed to ``partial(on_side_ok, side)``."""
        cutoff = self.cutoff_s
        sched = self.ctx.sched
        expires = sched.now + cutoff if cutoff is not None else 0.0
        self.available[side].append(_new(_LinkPair, (ok.qubit, ok.seq, ok.bell_index, expires)))
        if cutoff is not None and self._expiry[side] is None:
            self._expiry[side] = sched.call_at(expires, self._expire_oldest, side)
        up, down = self.available
        while up and down:  # swap as soon as possible, oldest with oldest (_try_swap, inlined)
            a = up.popleft()
            b = down.popleft()
            if self.swap_time_s > 0.0:
                sched.call_after(self.swap_time_s, self._swap, a, b)
            else:
                self._swap(a, b)

    # -- swapping ----------------------------------------------------------------------------------------
    def _swap(self, a: _LinkPair, b: _LinkPair) -> None:
        ctx = self.ctx
        outcome, _ = ctx.ops.swap(a.qubit, b.qubit)
        self.swaps += 1
        now = ctx.sched.now
        key_a, key_b = (UP, a.seq), (DOWN, b.seq)
        up_node, down_node = self.neighbours
        rec = _SwapRecord(((down_node, outcome ^ b.bell, b.seq), (up_node, outcome ^ a.bell, a.seq)),
                          (key_a, key_b), now)
        records = self.records
        records[key_a] = rec
        records[key_b] = rec
        if self._records_expire and now >= self._next_sweep:
            self._sweep(now)
        links, labels, node = self.links, self.labels, self.node
        links[UP].release(node, labels[UP])
        links[DOWN].release(node, labels[DOWN])
        waiting = self.waiting
        if waiting:
            for key in (key_a, key_b):
                item = waiting.pop(key, None)
                if item is not None:
                    self._resume(item, key[0], now, rec)

    def _resume(self, item: tuple[float, float, Track, bool], side: int, now: float, rec: _SwapRecord) -> None:
        """Pass on a TRACK that waited for this swap, from the moment it arrived or now if later.

        A parked TRACK whose sender sent it after this swap is passed on as the sender's own relay
        would have done (same sum of delays, so the same arrival times to the last bit)."""
        sent, delay, track, parked = item
        to, fwd = self._forwarded(track, side, rec)
        if now < sent:
            self.ctx.send(self.node, to, fwd, sent, delay)
            return
        arrival = sent + delay
        if now < arrival:
            self.ctx.send(self.node, to, fwd, arrival)
            return
        if parked and arrival < now:
            self.tracks_waited += 1  # it did arrive before the swap
        self.ctx.send(self.node, to, fwd)

    def _expire_oldest(self, side: int) -> None:
        """Cutoff: discard every unswapped link pair on ``side`` whose storage time has reached the
        cutoff. Pairs queue oldest first with one cutoff, so a single timer per side, armed for the
        oldest pair, replaces one timer per pair."""
        self._expiry[side] = None
        queue = self.available[side]
        now = self.ctx.sched.now
        while queue and queue[0].expires <= now:
            self._discard(side, queue.popleft())
        if queue:
            self._expiry[side] = self.ctx.sched.call_at(queue[0].expires, self._expire_oldest, side)

    def _discard(self, side: int, lp: _LinkPair) -> None:
        # Tell no one: a TRACK that reaches the hole returns as EXPIRE (notes §1.9).
        self.discards += 1
        self.links[side].pairs_discarded += 1
        self.links[side].release(self.node, self.labels[side])
        lp.qubit.frozen = True
        key = (side, lp.seq)
        item = self.waiting.pop(key, None)
        if item is None:
            self._add_tombstone(key)
            return
        sent, delay, track, parked = item
        now = self.ctx.sched.now
        arrival = sent + delay
        if arrival > now:
            self._expire_back(track, side, at=arrival)  # parked: it meets the hole when it arrives
            return
        if parked and arrival < now:
            self.tracks_waited += 1
        self._expire_back(track, side)

    # -- tracking ------------------------------------------------------------------------------------------
    def on_message(self, msg, sender: str) -> None:
        side = self.side_of(sender)
        if isinstance(msg, Track):
            key = (side, msg.link_seq)
            rec = self.records.get(key)
            if rec is not None:
                self._pass_track(msg, side, rec)
            elif key in self.tombstones:
                del self.tombstones[key]
                self._expire_back(msg, side)
            else:
                self.tracks_waited += 1
                self.waiting[key] = (self.ctx.sched.now, 0.0, msg, False)  # arrived before the swap (or our OK)
        elif isinstance(msg, Expire):
            rec = self.records.get((side, msg.link_seq))
            if rec is None:
                return
            to, _, seq = rec.hops[side]
            self.ctx.send(self.node, to, Expire(msg.circuit, seq, msg.to_head, msg.reason))
            self._mark(rec, side)
        elif isinstance(msg, Forward):
            self._change_demand(+1)
            self.ctx.send(self.node, self.neighbours[DOWN], msg)
        elif isinstance(msg, Complete):
            self._change_demand(-1)
            self.ctx.send(self.node, self.neighbours[DOWN], msg)

    def _pass_track(self, track: Track, side: int, rec: _SwapRecord, at: float | None = None,
                    delay: float = 0.0) -> None:
        to, fwd = self._forwarded(track, side, rec)
        if at is None:
            self.ctx.send(self.node, to, fwd)
        else:
            self.ctx.send(self.node, to, fwd, at, delay)

    def _forwarded(self, track: Track, side: int, rec: _SwapRecord) -> tuple[str, Track]:
        circuit, pair_id, bell, _, from_head, assignment, t_origin = track
        to, flip, seq = rec.hops[side]
        self._mark(rec, side)
        return to, _new(Track, (circuit, pair_id, bell ^ flip, seq, from_head, assignment, t_origin))

    def relay(self, sender: str, link_seq: int) -> tuple[str, int, int] | None:
        """If the link pair ``link_seq`` from ``sender`` is already swapped here, a TRACK about it
        is passed on at once: (next node, Bell-index correction, sequence number on the next link).

        A swap record, once made, stays until the messages it serves have passed, so a TRACK sent
        towards this node when the record already exists is forwarded on arrival without any other
        effect. The simulator uses this to follow such a TRACK through several nodes with one event
        (the delays still add up hop by hop); the protocol itself is unchanged.
        """
        side = UP if sender == self.neighbours[UP] else DOWN
        rec = self.records.get((side, link_seq))
        if rec is None:
            return None
        seen = rec.seen  # _mark, inlined: this runs once per repeater a TRACK passes
        seen[side] = True
        if seen[1 - side]:
            records = self.records
            key_up, key_down = rec.keys
            records.pop(key_up, None)
            records.pop(key_down, None)
        return rec.hops[side]

    def park(self, track: Track, sender: str, sent: float, delay: float) -> bool:
        """Take ``track``, sent at ``sent`` and due here ``delay`` later, before it arrives, if its
        link pair is neither swapped nor discarded yet; False if it must arrive as an event here
        (a tombstone waits for it).

        The TRACK then waits exactly as if it had arrived: the swap passes it on, or the cutoff
        sends it back as EXPIRE, from its arrival or from now if later. The simulator uses this so
        that a TRACK needs one event from end to end however many repeaters it waits at; message
        times and the order of protocol actions are unchanged.
        """
        side = UP if sender == self.neighbours[UP] else DOWN
        key = (side, track.link_seq)
        if key in self.tombstones or key in self.waiting:
            return False
        self.waiting[key] = (sent, delay, track, True)
        return True

    def _mark(self, rec: _SwapRecord, side: int) -> None:
        """A message has passed ``rec`` from ``side``; once both directions have, forget it."""
        seen = rec.seen
        seen[side] = True
        if seen[1 - side]:
            key_up, key_down = rec.keys
            self.records.pop(key_up, None)
            self.records.pop(key_down, None)

    def _expire_back(self, track: Track, side: int, at: float | None = None) -> None:
        msg = Expire(track.circuit, track.link_seq, not track.from_head, "cutoff")
        if at is None:
            self.ctx.send(self.node, self.neighbours[side], msg)
        else:
            self.ctx.send(self.node, self.neighbours[side], msg, at)

    def _add_tombstone(self, key: tuple[int, int]) -> None:
        self._purge()
        expiry = self.ctx.sched.now + self.tombstone_ttl_s
        self.tombstones[key] = expiry
        self._tomb_order.append((expiry, key))

    def _purge(self) -> None:
        """Forget tombstones older than the longest possible tracking time."""
        now = self.ctx.sched.now
        order = self._tomb_order
        while order and order[0][0] <= now:
            _, key = order.popleft()
            self.tombstones.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget swap records older than the longest possible tracking time: with cutoffs a hole
        on both sides can leave a record that no message will ever clear. One pass over the (few)
        records per that time, instead of a queue entry per swap."""
        ttl = self.tombstone_ttl_s
        records = self.records
        for key in [key for key, rec in records.items() if rec.made + ttl <= now]:
            del records[key]
        self._next_sweep = now + ttl

    def _change_demand(self, delta: int) -> None:
        before = self.demand
        self.demand += delta
        link, label = self.links[DOWN], self.labels[DOWN]
        if before == 0 and self.demand > 0:
            link.create(self.node, CreateRequest(label, self.vc.link_min_fidelity, self.vc.weight))
        elif before > 0 and self.demand == 0:
            link.stop(label)
