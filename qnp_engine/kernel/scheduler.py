"""Discrete-event kernel: simulated time in seconds, cancellable timers, deterministic order.

The queue holds plain lists ``[time, seq, fn, args]`` ordered by (time, seq): simultaneous events
run in the order they were scheduled. Cancelling sets ``fn`` to ``None`` and the entry is skipped
when popped (no heap search). One seeded ``numpy.random.Generator`` per run lives here.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from numpy.random import default_rng  # imported here, not lazily inside the first run's set-up

Timer = list  # [time, seq, fn | None, args]


class Scheduler:
    __slots__ = ("now", "_queue", "_seq", "events", "rng", "stopped", "_uniforms", "_next_u")

    def __init__(self, seed: int = 0) -> None:
        self.now = 0.0
        self._queue: list[Timer] = []
        self._seq = 0
        self.events = 0
        self.rng = default_rng(seed)
        self.stopped = False  # set by whoever decides the run is over; run_until returns at once
        self._uniforms: list[float] = []
        self._next_u = 0

    def uniform(self) -> float:
        """A uniform draw in [0, 1) from the run's generator, drawn in blocks (one numpy call per 4096)."""
        i = self._next_u
        if i >= len(self._uniforms):
            self._uniforms = self.rng.random(4096).tolist()
            i = 0
        self._next_u = i + 1
        return self._uniforms[i]

    def call_at(self, t: float, fn: Callable[..., Any], *args: Any) -> Timer:
        if t < self.now:
            raise ValueError(f"cannot schedule in the past ({t} < {self.now})")
        self._seq += 1
        entry = [t, self._seq, fn, args]
        heapq.heappush(self._queue, entry)
        return entry

    def call_after(self, dt: float, fn: Callable[..., Any], *args: Any) -> Timer:
        if dt < 0:
            raise ValueError(f"negative delay {dt}")
        self._seq += 1
        entry = [self.now + dt, self._seq, fn, args]
        heapq.heappush(self._queue, entry)
        return entry

    @staticmethod
    def cancel(timer: Timer | None) -> None:
        if timer is not None:
            timer[2] = None

    @staticmethod
    def active(timer: Timer | None) -> bool:
        return timer is not None and timer[2] is not None

    def peek(self) -> float:
        """Time of the next live event, or +inf."""
        q = self._queue
        while q and q[0][2] is None:
            heapq.heappop(q)
        return q[0][0] if q else float("inf")

    def step(self) -> bool:
        q = self._queue
        while q:
            t, _, fn, args = heapq.heappop(q)
            if fn is None:
                continue
            self.now = t
            self.events += 1
            fn(*args)
            return True
        return False

    def run_until(self, until: float, max_events: int | None = None) -> None:
        """Run every event with time <= ``until``; the clock ends at ``until``."""
        if self.stopped or max_events == 0:
            return
        q = self._queue
        pop = heapq.heappop
        budget = max_events if max_events is not None else -1
        n = 0  # events run here; counted locally (one attribute write per call, not per event)
        try:
            while q:
                entry = pop(q)
                t, _, fn, args = entry
                if t > until:
                    heapq.heappush(q, entry)  # (time, seq) is unique: the heap order is unchanged
                    break
                if fn is None:
                    continue
                self.now = t
                n += 1
                fn(*args)
                if n == budget or self.stopped:
                    return
        finally:
            self.events += n
        self.now = max(self.now, until)
