"""One link's entanglement generation service.

The physical layer is folded in as a closed form: instead of one event per attempt, the number of
attempts until success is sampled from the geometric distribution and only the success is
scheduled. Generation runs while some purpose has demand and both ends have a free memory qubit
for it; purposes share the link by weighted fair queueing (or strict priority by weight).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from math import ceil as _ceil
from math import inf as _INF
from math import log1p as _log1p

from qnp_engine.backends.base import StateBackend
from qnp_engine.link.memory import MemoryPool
from qnp_engine.link.messages import CreateRequest, LinkErr, LinkErrCode, LinkOk
from qnp_engine.link.qubits import EntangledPair, QuantumOps, Qubit
from qnp_engine.physical.decoherence import MemoryNoise, decay_function
from qnp_engine.physical.heralding import AttemptModel, PairShape


def initial_state(backend: StateBackend, model: AttemptModel, bell_index: int):
    """The heralded two-qubit state for the link model (qubit 0 at end ``a``)."""
    import numpy as np

    if model.shape is PairShape.WERNER:
        return backend.werner(model.fidelity, bell_index)
    if model.shape is PairShape.DOUBLE_CLICK:
        probs = [0.0] * 4
        probs[bell_index] = (1 + model.visibility) / 2
        probs[bell_index ^ 2] += (1 - model.visibility) / 2
        return backend.create_bell_diagonal(probs)
    t = model.single_click
    sign = 1.0 if bell_index == 1 else -1.0
    # Bright state |u> = |0>: |uu>=|00>, |ud>=|01>, |du>=|10>, |dd>=|11> (reference notes R13).
    rho = np.zeros((4, 4), dtype=complex)
    rho[0, 0], rho[1, 1], rho[2, 2], rho[3, 3] = t.p_uu, t.p_ud, t.p_du, t.p_dd
    coherence = sign * np.sqrt(t.visibility * t.p_ud * t.p_du)
    rho[1, 2] = rho[2, 1] = coherence
    return backend.create_density_matrix(rho / t.p_succ)


class _Purpose:
    __slots__ = ("request", "finish", "active", "remaining", "origin", "timeout", "generated", "on_ok_a", "on_ok_b")

    def __init__(self, request: CreateRequest, finish: float, origin: str) -> None:
        self.request = request
        self.finish = finish
        self.active = True
        self.remaining = request.number
        self.origin = origin
        self.timeout: list | None = None  # the scheduler's timer for max_time
        self.generated = 0
        # Receivers of this purpose's OKs at ends a and b, resolved once (see LinkLayer._resolve).
        self.on_ok_a: Callable[[LinkOk], None] | None = None
        self.on_ok_b: Callable[[LinkOk], None] | None = None


class LinkLayer:
    def __init__(self, index: int, sched, ops: QuantumOps, a: str, b: str, model: AttemptModel,
                 pool_a: MemoryPool, pool_b: MemoryPool, noise_a: MemoryNoise, noise_b: MemoryNoise,
                 strict_priority: bool = False) -> None:
        self.index = index
        self.sched = sched
        self.ops = ops
        self.a, self.b = a, b
        self.model = model
        self.pools = {a: pool_a, b: pool_b}
        self._pool_a, self._pool_b = pool_a, pool_b
        self.noise = {a: noise_a, b: noise_b}
        self._noiseless = {a: noise_a.is_noiseless, b: noise_b.is_noiseless}
        self._end_a = (a, noise_a.is_noiseless, decay_function(noise_a))  # what a new qubit at each end needs
        self._end_b = (b, noise_b.is_noiseless, decay_function(noise_b))
        self.strict_priority = strict_priority
        self.handlers: dict[str, Callable[[LinkOk], None]] = {}
        self.err_handlers: dict[str, Callable[[LinkErr], None]] = {}
        self._purposes: dict[int, _Purpose] = {}
        self._single: _Purpose | None = None  # the only purpose, while there is exactly one
        self._routes: dict[tuple[str, int], Callable[[LinkOk], None]] = {}
        self._virtual = 0.0
        self._timer: list | None = None
        self._attempt: tuple[int, float] | None = None  # (purpose, start time)
        self._bell_indices = tuple(model.bell_indices)
        self._only_bell = self._bell_indices[0] if len(self._bell_indices) == 1 else None
        self._seq = 0
        self._active = 0
        self._log_q = math.log1p(-model.success_probability) if model.success_probability < 1 else -math.inf
        self._attempt_time = model.attempt_time_s
        self._states = [initial_state(ops.backend, model, k) if k in model.bell_indices else None for k in range(4)]
        # statistics
        self.attempts = 0
        self.pairs_generated = 0
        self.pairs_discarded = 0

    # -- service interface ---------------------------------------------------------------------
    def bind(self, node: str, on_ok: Callable[[LinkOk], None], on_err: Callable[[LinkErr], None]) -> None:
        """Default receiver of ``node``'s OKs and errors (the node's QNP entity)."""
        self.handlers[node] = on_ok
        self.err_handlers[node] = on_err
        for p in self._purposes.values():
            self._resolve(p)

    def route(self, node: str, purpose: int, on_ok: Callable[[LinkOk], None]) -> None:
        """Deliver ``node``'s OKs for ``purpose`` straight to ``on_ok`` (the circuit's role at the
        node, as the node's link-label table would), skipping one dispatch per pair."""
        self._routes[(node, purpose)] = on_ok
        p = self._purposes.get(purpose)
        if p is not None:
            self._resolve(p)

    def create(self, node: str, request: CreateRequest) -> None:
        """Start (or keep) generating pairs for ``request.purpose``."""
        if request.min_fidelity > self.model.fidelity + 1e-12:
            self.err_handlers[node](LinkErr(self.index, request.purpose, LinkErrCode.UNSUPPORTED,
                                            f"link fidelity {self.model.fidelity:.4f} < {request.min_fidelity:.4f}"))
            return
        p = self._purposes.get(request.purpose)
        if p is None:
            p = self._purposes[request.purpose] = _Purpose(request, self._virtual, node)
            self._resolve(p)
            self._single = p if len(self._purposes) == 1 else None
            self._active += 1
        elif not p.active:
            self._active += 1
            p.active = True
            p.request = request
            p.remaining = request.number
            p.origin = node
            p.finish = max(p.finish, self._virtual)
        if request.max_time_s is not None:
            self.sched.cancel(p.timeout)
            p.timeout = self.sched.call_after(request.max_time_s, self._time_out, request.purpose)
        self._try_start()

    def _time_out(self, purpose: int) -> None:
        p = self._purposes[purpose]
        p.timeout = None
        if p.active:
            self.stop(purpose)
            self.err_handlers[p.origin](LinkErr(self.index, purpose, LinkErrCode.TIMEOUT,
                                                f"{p.remaining} pair(s) not generated within "
                                                f"{p.request.max_time_s:g} s"))

    def stop(self, purpose: int) -> None:
        p = self._purposes.get(purpose)
        if p is None or not p.active:
            return
        p.active = False
        self._active -= 1
        self.sched.cancel(p.timeout)
        p.timeout = None
        if self._attempt is not None and self._attempt[0] == purpose:
            started = self._attempt[1]
            self.sched.cancel(self._timer)
            self.attempts += int((self.sched.now - started) / self.model.attempt_time_s)
            self._release_reservation(purpose)
            self._attempt = None
            self._try_start()

    def release(self, node: str, purpose: int) -> None:
        """A memory qubit of ``purpose`` at ``node`` is free again."""
        pool = self.pools[node]
        pool.in_use -= 1
        pool.held[purpose] -= 1
        self._try_start()

    def active_purposes(self) -> int:
        return self._active

    @property
    def generated_by_purpose(self) -> dict[int, int]:
        """Pairs generated so far for each purpose id (link label)."""
        return {pid: p.generated for pid, p in self._purposes.items()}

    # -- internals ------------------------------------------------------------------------------
    def _resolve(self, p: _Purpose) -> None:
        """Who receives ``p``'s OKs at each end: its route, else the end's default handler."""
        purpose = p.request.purpose
        p.on_ok_a = self._routes.get((self.a, purpose)) or self.handlers.get(self.a)
        p.on_ok_b = self._routes.get((self.b, purpose)) or self.handlers.get(self.b)

    def _release_reservation(self, purpose: int) -> None:
        self.pools[self.a].give(purpose)
        self.pools[self.b].give(purpose)

    def _choose(self) -> _Purpose | None:
        n = self._active
        if n == 0:
            return None
        pa, pb = self._pool_a, self._pool_b
        if n == 1 and len(self._purposes) == 1:
            # one circuit on this link: the common case, no queueing decision to make
            (p,) = self._purposes.values()
            return p if pa.in_use < pa.capacity and pb.in_use < pb.capacity else None
        best = None
        for pid, p in self._purposes.items():
            if not p.active or not pa.can_take(pid, n) or not pb.can_take(pid, n):
                continue
            if best is None:
                best = p
            elif self.strict_priority:
                if p.request.weight > best.request.weight:
                    best = p
            elif p.finish < best.finish:
                best = p
        return best

    def _try_start(self) -> None:
        if self._attempt is not None or not self._active:
            return
        pa, pb = self._pool_a, self._pool_b
        p = self._single
        if p is not None:
            # one circuit on this link: the common case, no queueing decision to make
            if pa.in_use >= pa.capacity or pb.in_use >= pb.capacity:
                return
        else:
            p = self._choose()
            if p is None:
                return
        purpose = p.request.purpose
        self._virtual = p.finish
        p.finish += 1.0 / p.request.weight
        # MemoryPool.take at both ends, inlined
        pa.in_use += 1
        held = pa.held
        held[purpose] = held.get(purpose, 0) + 1
        pb.in_use += 1
        held = pb.held
        held[purpose] = held.get(purpose, 0) + 1
        sched = self.sched
        # Attempts until the first success, Geometric(p), by inversion of one uniform draw.
        log_q = self._log_q
        n = 1 if log_q == -_INF else _ceil(_log1p(-sched.uniform()) / log_q) or 1  # u = 0 gives 0
        self._attempt = (purpose, sched.now)
        self._timer = sched.call_after(n * self._attempt_time, self._succeed, p, n)

    def _idle(self) -> None:
        """No attempt in flight. (A method, not two assignments in ``_succeed``: a compiler must not take
        ``_attempt`` for None after the OK callbacks, which may have started the next attempt.)"""
        self._attempt = None
        self._timer = None

    def _succeed(self, p: _Purpose, n: int) -> None:
        self._idle()
        self.attempts += n
        self.pairs_generated += 1
        p.generated += 1
        purpose = p.request.purpose
        self._seq = seq = self._seq + 1
        sched = self.sched
        bell = self._only_bell
        if bell is None:
            indices = self._bell_indices
            bell = indices[int(sched.uniform() * len(indices))]
        now = sched.now
        a, still_a, decay_a = self._end_a
        b, still_b, decay_b = self._end_b
        qa = Qubit(a, 0, now, still_a, decay_a)
        qb = Qubit(b, 1, now, still_b, decay_b)
        qa.pair = qb.pair = EntangledPair(self._states[bell], [qa, qb], now)
        measure = p.request.measure_directly
        if measure:
            qa.frozen = qb.frozen = True  # M-type: measured at both ends as the herald arrives
        # Both ends learn the herald at the same time (midpoint station); deliver a's OK first.
        index = self.index
        new = tuple.__new__  # LinkOk without the Python-level __new__ of typing.NamedTuple
        p.on_ok_a(new(LinkOk, (index, purpose, seq, bell, qa, b)))
        p.on_ok_b(new(LinkOk, (index, purpose, seq, bell, qb, a)))
        if measure:
            self._release_reservation(purpose)
        if p.remaining is not None:
            p.remaining -= 1
            if p.remaining <= 0:
                self.stop(purpose)
        self._try_start()
