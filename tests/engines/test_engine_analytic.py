"""Analytic reference results (qnp-protocol.md §4: R2 Werner swap, R4 depolarising memory, R5 T1/T2
memory) hold on every engine, closed form included."""

from __future__ import annotations

import math

import pytest

from qnp_engine.physical.decoherence import MemoryNoise, channel_params
from tests.engines.engine_helpers import ENGINES, make_engine

ALL = ("closed-form", *ENGINES)
TOL = 1e-9
PRINTED = 5e-7  # the reference values are printed to 6 decimals


@pytest.fixture(params=ALL)
def backend(request):
    return make_engine(request.param)


def store(backend, state, noise: MemoryNoise, t_a: float, t_b: float):
    for qubit, t in ((0, t_a), (1, t_b)):
        if t > 0:
            c = channel_params(noise, t)
            state = backend.decohere(state, qubit, c.gamma, c.p_z, c.p_dep)
    return state


def werner_swap(f1: float, f2: float) -> float:
    return f1 * f2 + (1 - f1) * (1 - f2) / 3


@pytest.mark.parametrize("f1,f2,expected", [(0.9, 0.9, 0.813333), (0.95, 0.8, 0.763333), (0.99, 0.97, 0.9604)])
def test_r2_werner_swap(backend, f1, f2, expected):
    assert werner_swap(f1, f2) == pytest.approx(expected, abs=PRINTED)
    for b1, b2, q1, q2, u in ((0, 0, 1, 0, 0.1), (1, 3, 0, 1, 0.4), (2, 1, 1, 1, 0.9)):
        m, joined = backend.swap(backend.werner(f1, b1), q1, backend.werner(f2, b2), q2, u)
        assert backend.fidelity(joined, b1 ^ b2 ^ m) == pytest.approx(werner_swap(f1, f2), abs=TOL)


def test_r2_werner_swap_through_density_matrices(backend):
    """The same formula when the inputs enter as general density matrices (non-Bell-diagonal path)."""
    closed = make_engine("closed-form")
    rho1 = closed.density_matrix(closed.werner(0.92, 1))
    rho2 = closed.density_matrix(closed.werner(0.85, 2))
    for u in (0.05, 0.3, 0.55, 0.8):
        m, joined = backend.swap(backend.create_density_matrix(rho1), 1, backend.create_density_matrix(rho2), 0, u)
        assert backend.fidelity(joined, 1 ^ 2 ^ m) == pytest.approx(werner_swap(0.92, 0.85), abs=TOL)


@pytest.mark.parametrize(
    "f0,t,tau,expected", [(0.95, 0.01, 0.1, 0.823112), (1.0, 0.1, 1.0, 0.864048), (0.9, 0.05, 0.5, 0.782175)]
)
def test_r4_depolarising_memory(backend, f0, t, tau, expected):
    w = (4 * f0 - 1) / 3 * math.exp(-2 * t / tau)
    assert (1 + 3 * w) / 4 == pytest.approx(expected, abs=PRINTED)
    state = store(backend, backend.werner(f0), MemoryNoise(depolarizing_time_s=tau), t, t)
    assert backend.fidelity(state, 0) == pytest.approx((1 + 3 * w) / 4, abs=TOL)


def r5_fidelity(t_a: float, t_b: float, t1: float, t2: float, w: float = 1.0) -> float:
    a_a, a_b = math.exp(-t_a / t1), math.exp(-t_b / t1)
    c_a, c_b = math.exp(-t_a / t2), math.exp(-t_b / t2)
    f_phi = (1 + a_a * a_b + (1 - a_a) * (1 - a_b)) / 4 + c_a * c_b / 2
    return w * f_phi + (1 - w) * 0.5 * ((1 - a_a / 2) * (1 - a_b / 2) + a_a * a_b / 4)


@pytest.mark.parametrize(
    "t,t1,t2,both,one",
    [
        (0.01, math.inf, 0.1, 0.909365, 0.952419),
        (0.01, 2.68, 1.0, 0.988244, 0.994094),
        (1e-3, 2.68e-3, 1e-3, 0.460447, 0.606083),
        (0.5, 10.0, 1.0, 0.660744, 0.791073),
    ],
)
def test_r5_t1_t2_memory_on_phi_plus(backend, t, t1, t2, both, one):
    noise = MemoryNoise(t1_s=t1, t2_s=t2)
    assert r5_fidelity(t, t, t1, t2) == pytest.approx(both, abs=PRINTED)
    assert r5_fidelity(t, 0.0, t1, t2) == pytest.approx(one, abs=PRINTED)
    assert backend.fidelity(store(backend, backend.werner(1.0), noise, t, t), 0) == pytest.approx(both, abs=PRINTED)
    assert backend.fidelity(store(backend, backend.werner(1.0), noise, t, 0.0), 0) == pytest.approx(one, abs=PRINTED)
    assert backend.fidelity(store(backend, backend.werner(1.0), noise, 0.0, t), 0) == pytest.approx(one, abs=PRINTED)


@pytest.mark.parametrize(
    "f0,t_a,t_b,t1,t2,expected",
    [
        (0.9, 0.01, 0.02, 0.05, 0.04, 0.588542),
        (0.95, 1e-3, 0.0, 2.68e-3, 1e-3, 0.582344),
        (0.8, 0.3, 0.1, 10.0, 1.0, 0.672002),
    ],
)
def test_r5_t1_t2_memory_on_werner(backend, f0, t_a, t_b, t1, t2, expected):
    w = (4 * f0 - 1) / 3
    assert r5_fidelity(t_a, t_b, t1, t2, w) == pytest.approx(expected, abs=PRINTED)
    state = store(backend, backend.werner(f0), MemoryNoise(t1_s=t1, t2_s=t2), t_a, t_b)
    assert backend.fidelity(state, 0) == pytest.approx(r5_fidelity(t_a, t_b, t1, t2, w), abs=TOL)
