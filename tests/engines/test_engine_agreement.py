"""Per operation, every circuit engine agrees with the closed-form backend to 1e-9 on density
matrices, fidelities and outcome probabilities, and draws the same outcomes for the same u."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qnp_engine.backends.base import BASES
from qnp_engine.physical.decoherence import MemoryNoise, channel_params
from tests.engines.engine_helpers import random_density_matrix

TOL = 1e-9
FIDELITIES = (1.0, 0.95, 0.8, 0.5, 0.25)
OTHER_BELL_DIAGONALS = ((0.7, 0.1, 0.15, 0.05), (0.5, 0.5, 0.0, 0.0), (0.0, 0.0, 0.0, 1.0), (0.4, 0.0, 0.35, 0.25))
NOISES = (
    MemoryNoise(t2_s=0.1),  # pure dephasing
    MemoryNoise(t1_s=2.68, t2_s=1.0),  # NV carbon
    MemoryNoise(t1_s=2.68e-3, t2_s=1e-3),  # NV electron
    MemoryNoise(t1_s=10.0, t2_s=1.0, depolarizing_time_s=0.5),
    MemoryNoise(depolarizing_time_s=0.1),  # pure depolarising
)
STORAGE_TIMES = (1e-3, 1e-2, 0.1, 0.5)
# Engines agree on outcomes for equal u except within rounding (~1e-16) of a CDF step; Bell-diagonal
# swaps have steps at exactly k/4, so the grid keeps clear of them.
U_GRID = (0.02, 0.13, 0.24, 0.31, 0.46, 0.53, 0.69, 0.77, 0.88, 0.98)


def same_dm(closed, a, engine, b) -> None:
    np.testing.assert_allclose(engine.density_matrix(b), closed.density_matrix(a), atol=TOL, rtol=0)


def input_states(closed, engine, rng):
    """Pairs (closed-form state, engine state): Bell-diagonal ones and general density matrices."""
    pairs = []
    for f, k in [(1.0, 0), (0.9, 1), (0.8, 2), (0.6, 3)]:
        pairs.append((closed.werner(f, k), engine.werner(f, k)))
    for _ in range(3):
        rho = random_density_matrix(rng)
        pairs.append((closed.create_density_matrix(rho), engine.create_density_matrix(rho)))
    return pairs


def test_create_bell_diagonal(closed, engine):
    for f, k in itertools.product(FIDELITIES, range(4)):
        same_dm(closed, closed.werner(f, k), engine, engine.werner(f, k))
    for p in OTHER_BELL_DIAGONALS:
        same_dm(closed, closed.create_bell_diagonal(p), engine, engine.create_bell_diagonal(p))


def test_create_density_matrix(closed, engine):
    rng = np.random.default_rng(11)
    for rank in (1, 2, 4):
        rho = random_density_matrix(rng, rank)
        same_dm(closed, closed.create_density_matrix(rho), engine, engine.create_density_matrix(rho))


@pytest.mark.parametrize("noise", NOISES, ids=lambda n: f"T1={n.t1_s},T2={n.t2_s},Tdep={n.depolarizing_time_s}")
def test_decohere_grid(closed, engine, noise):
    rng = np.random.default_rng(12)
    rho = random_density_matrix(rng)
    for t, qubit in itertools.product(STORAGE_TIMES, (0, 1)):
        c = channel_params(noise, t)
        # Bell-diagonal input (closed form's 4-vector path when gamma = 0) and a general one.
        a, b = closed.werner(0.9, 1), engine.werner(0.9, 1)
        same_dm(closed, closed.decohere(a, qubit, c.gamma, c.p_z, c.p_dep), engine,
                engine.decohere(b, qubit, c.gamma, c.p_z, c.p_dep))  # fmt: skip
        a, b = closed.create_density_matrix(rho), engine.create_density_matrix(rho)
        same_dm(closed, closed.decohere(a, qubit, c.gamma, c.p_z, c.p_dep), engine,
                engine.decohere(b, qubit, c.gamma, c.p_z, c.p_dep))  # fmt: skip


def test_decohere_repeated_steps_equal_one_long_step(engine):
    """Ten storage steps of t/10 give the channel of one step t (the engine composes exactly)."""
    noise = MemoryNoise(t1_s=0.2, t2_s=0.1)
    one = channel_params(noise, 0.05)
    tenth = channel_params(noise, 0.005)
    s = engine.werner(0.95)
    for _ in range(10):
        s = engine.decohere(s, 0, tenth.gamma, tenth.p_z, tenth.p_dep)
    direct = engine.decohere(engine.werner(0.95), 0, one.gamma, one.p_z, one.p_dep)
    np.testing.assert_allclose(engine.density_matrix(s), engine.density_matrix(direct), atol=TOL, rtol=0)


@pytest.mark.parametrize("q1,q2", list(itertools.product((0, 1), (0, 1))))
def test_swap_grid(closed, engine, q1, q2):
    rng = np.random.default_rng(13 + 2 * q1 + q2)
    states = input_states(closed, engine, rng)
    # Age one state with amplitude damping so that the swap sees a non-Bell-diagonal, asymmetric input.
    c = channel_params(NOISES[2], 1e-3)
    states.append((closed.decohere(states[1][0], q1, c.gamma, c.p_z, c.p_dep),
                   engine.decohere(states[1][1], q1, c.gamma, c.p_z, c.p_dep)))  # fmt: skip
    seen = set()
    for (a1, b1), (a2, b2) in [(states[i], states[j]) for i, j in ((0, 1), (2, 3), (1, 5), (5, 4), (6, 7), (7, 2))]:
        for u in U_GRID:
            m_closed, joined_closed = closed.swap(a1, q1, a2, q2, u)
            m_engine, joined_engine = engine.swap(b1, q1, b2, q2, u)
            assert m_engine == m_closed, f"u={u}: outcome {m_engine} != closed form {m_closed}"
            same_dm(closed, joined_closed, engine, joined_engine)
            seen.add(m_closed)
    assert seen == {0, 1, 2, 3}


def test_measure_grid(closed, engine):
    rng = np.random.default_rng(14)
    for a, b in input_states(closed, engine, rng):
        for bases in itertools.product(BASES, BASES):
            p_closed = closed.outcome_probabilities(a, bases)
            np.testing.assert_allclose(engine.outcome_probabilities(b, bases), p_closed, atol=TOL, rtol=0)
            for u in U_GRID:
                assert engine.measure(b, bases, u) == closed.measure(a, bases, u)


def test_fidelity_every_bell_index(closed, engine):
    rng = np.random.default_rng(15)
    for a, b in input_states(closed, engine, rng):
        for k in range(4):
            assert math.isclose(engine.fidelity(b, k), closed.fidelity(a, k), abs_tol=TOL)


def test_ideal_swap_tracks_the_pauli_frame(engine):
    """R1: Bell inputs b1, b2 and outcome m leave the outer qubits in b1 ^ b2 ^ m."""
    for b1, b2 in itertools.product(range(4), repeat=2):
        for u in (0.1, 0.35, 0.6, 0.85):
            m, joined = engine.swap(engine.werner(1.0, b1), 1, engine.werner(1.0, b2), 0, u)
            assert m == int(u * 4)
            assert engine.fidelity(joined, b1 ^ b2 ^ m) == pytest.approx(1.0, abs=TOL)
