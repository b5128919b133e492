"""Memory decoherence parameters after a storage time (reference notes R4, R5).

A stored qubit suffers amplitude damping (T1), dephasing so that its coherence decays as
exp(-t/T2) in total, and optionally depolarising with time constant T_dep. This module turns a
storage time into channel parameters; the state backends apply them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class MemoryNoise:
    t1_s: float = math.inf
    t2_s: float = math.inf
    depolarizing_time_s: float = math.inf

    @property
    def is_noiseless(self) -> bool:
        return math.isinf(self.t1_s) and math.isinf(self.t2_s) and math.isinf(self.depolarizing_time_s)

    @property
    def keeps_bell_diagonal(self) -> bool:
        """Depolarising and dephasing map Bell-diagonal states to Bell-diagonal states; T1 does not."""
        return math.isinf(self.t1_s)


class ChannelParams(NamedTuple):
    """gamma: amplitude-damping probability; p_z: phase-flip probability; p_dep: depolarising prob."""

    gamma: float
    p_z: float
    p_dep: float


def channel_params(noise: MemoryNoise, dt: float) -> ChannelParams:
    t1, t2, tdep = noise.t1_s, noise.t2_s, noise.depolarizing_time_s
    gamma = 0.0 if t1 == math.inf else -math.expm1(-dt / t1)
    # Amplitude damping alone scales coherence by exp(-dt/(2 T1)); the extra dephasing brings the
    # total to exp(-dt/T2). A phase flip with probability p_z scales coherence by (1 - 2 p_z).
    extra = dt / t2 - (0.0 if t1 == math.inf else dt / (2 * t1))
    p_z = 0.5 * -math.expm1(-extra) if extra > 0.0 else 0.0
    p_dep = 0.0 if tdep == math.inf else -math.expm1(-dt / tdep)
    return ChannelParams(gamma, p_z, p_dep)


DecayFunction = Callable[[float], tuple[float, float, float]]


def _no_decay(dt: float) -> tuple[float, float, float]:
    return (0.0, 0.0, 0.0)


@lru_cache(maxsize=256)
def decay_function(noise: MemoryNoise) -> DecayFunction:
    """``channel_params`` for one memory as a function of the storage time alone, specialised once
    per memory so that the per-qubit call skips the branches on infinite time constants. Every
    variant computes exactly the same floating-point numbers as ``channel_params``."""
    t1, t2, tdep = noise.t1_s, noise.t2_s, noise.depolarizing_time_s
    if t1 != math.inf:
        return partial(channel_params, noise)
    expm1 = math.expm1
    if t2 == math.inf:
        if tdep == math.inf:
            return _no_decay

        def depolarise(dt: float) -> tuple[float, float, float]:
            return (0.0, 0.0, -expm1(-dt / tdep))

        return depolarise

    def dephase(dt: float) -> tuple[float, float, float]:
        extra = dt / t2
        return (0.0, 0.5 * -expm1(-extra) if extra > 0.0 else 0.0, 0.0 if tdep == math.inf else -expm1(-dt / tdep))

    return dephase
