"""Fidelity budget of a circuit: the worst-case delivered fidelity for a cutoff, the cutoff that
meets a target, and an estimate of the circuit's pair rate.

Worst case (notes §1.14): every intermediate qubit is stored for the full cutoff before its swap;
measure-directly end qubits are measured at once; create-and-keep end qubits wait at most until
the chain completes and the far end's TRACK returns. The bound is computed with the closed-form
backend itself, so it holds for any noise the backend models.
"""

from __future__ import annotations

import math

from qnp_engine.backends.closed_form import ClosedFormBackend
from qnp_engine.link.link_layer import initial_state
from qnp_engine.physical.decoherence import MemoryNoise, channel_params
from qnp_engine.physical.heralding import AttemptModel

_BACKEND = ClosedFormBackend()
_PROBE_U = (0.05, 0.3, 0.55, 0.8, 0.95)


def fidelity_bound(models: list[AttemptModel], at_a: list[bool], noises: list[MemoryNoise],
                   cutoff_s: float | None, keep: bool, path_delay_s: float, swap_time_s: float = 0.0) -> float:
    """Worst-case fidelity of a delivered pair along a path of ``len(models)`` hops.

    ``at_a[i]`` tells whether path node i sits at end ``a`` of hop i's link; ``noises`` is per path node.
    """
    n = len(models)
    be = _BACKEND
    hold = math.inf if cutoff_s is None else cutoff_s + swap_time_s
    end_hold = 0.0
    if keep:
        end_hold = math.inf if cutoff_s is None else (n - 1) * cutoff_s + 2 * path_delay_s + n * swap_time_s

    def aged(state, qubit: int, noise: MemoryNoise, t: float):
        if t == 0.0 or noise.is_noiseless:
            return state
        if math.isinf(t):
            t = 1e6 * max(x for x in (noise.t1_s, noise.t2_s, noise.depolarizing_time_s) if not math.isinf(x))
        c = channel_params(noise, t)
        return be.decohere(state, qubit, c.gamma, c.p_z, c.p_dep)

    states, left_q = [], []
    for i, model in enumerate(models):
        s = initial_state(be, model, model.bell_indices[0])
        q_left = 0 if at_a[i] else 1       # qubit held by path node i
        q_right = 1 - q_left               # qubit held by path node i + 1
        s = aged(s, q_left, noises[i], end_hold if i == 0 else hold)
        s = aged(s, q_right, noises[i + 1], end_hold if i == n - 1 else hold)
        states.append(s)
        left_q.append(q_left)
    cur, cur_right, frame = states[0], 1 - left_q[0], models[0].bell_indices[0]
    for i in range(1, n):
        worst = None
        for u in _PROBE_U:
            m, joined = be.swap(cur, cur_right, states[i], left_q[i], u)
            idx = frame ^ m ^ models[i].bell_indices[0]
            f = be.fidelity(joined, idx)
            if worst is None or f < worst[0]:
                worst = (f, joined, idx)
        _, cur, frame = worst
        cur_right = 1
    return be.fidelity(cur, frame)


def choose_cutoff(target: float, bound) -> tuple[float | None, bool]:
    """Largest cutoff whose worst case meets ``target``: (cutoff or None if none is needed, feasible)."""
    if bound(0.0) < target:
        return None, False
    hi = 1.0
    for _ in range(60):
        if bound(hi) < target:
            break
        hi *= 4.0
    else:
        return None, True  # memories good enough: no cutoff needed
    lo = 0.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if bound(mid) >= target:
            lo = mid
        else:
            hi = mid
    return lo, True


def rate_estimate_hz(models: list[AttemptModel]) -> float:
    """1 / E[max of per-link generation times], taking them exponential (exact by inclusion-exclusion
    up to 12 links; H_n / lambda_min beyond). Ignores cutoff losses and classical delays."""
    rates = [m.success_probability / m.attempt_time_s for m in models]
    n = len(rates)
    if n <= 12:
        total = 0.0
        for mask in range(1, 1 << n):
            s = sum(rates[i] for i in range(n) if mask >> i & 1)
            total += (-1) ** (bin(mask).count("1") + 1) / s
        return 1.0 / total
    harmonic = sum(1.0 / k for k in range(1, n + 1))
    return min(rates) / harmonic
