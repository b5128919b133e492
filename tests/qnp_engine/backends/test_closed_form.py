"""Closed-form backend against independent analytic results (reference notes §4 R1-R5)."""

import itertools
import math

import numpy as np
import pytest

from qnp_engine.backends.bell_index import BELL_VECTORS, compose, correlation_flip
from qnp_engine.backends.closed_form import ClosedFormBackend
from qnp_engine.physical.decoherence import MemoryNoise, channel_params

be = ClosedFormBackend()
X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1, -1]).astype(complex)


def projector(k: int) -> np.ndarray:
    v = BELL_VECTORS[:, k]
    return np.outer(v, v.conj())


def as_dm(state):
    return be.create_density_matrix(be.density_matrix(state))


def test_bell_vectors_follow_the_encoding():
    phi = np.array([1, 0, 0, 1]) / math.sqrt(2)
    for k in range(4):
        x, z = k & 1, k >> 1
        op = np.kron(np.linalg.matrix_power(X, x) @ np.linalg.matrix_power(Z, z), np.eye(2))
        assert np.allclose(BELL_VECTORS[:, k], op @ phi)


@pytest.mark.parametrize("dm", [False, True], ids=["bell-diagonal", "density-matrix"])
def test_r1_swap_outcome_composition_exhaustive(dm):
    # every (b1, b2, m) and every qubit orientation: outcome prob 1/4 and the joined pair is b1^b2^m
    for b1, b2, q1, q2 in itertools.product(range(4), range(4), (0, 1), (0, 1)):
        s1, s2 = be.werner(1.0, b1), be.werner(1.0, b2)
        if dm:
            s1, s2 = as_dm(s1), as_dm(s2)
        for m in range(4):
            outcome, joined = be.swap(s1, q1, s2, q2, (m + 0.5) / 4)
            assert outcome == m
            assert be.fidelity(joined, compose(b1, b2, m)) == pytest.approx(1.0, abs=1e-12)


def test_worked_tracking_example():
    # notes §1.8: b = (Psi+, Phi-, Phi+), swap outcomes (Psi-, Psi+) -> Psi+
    assert compose(1, 2, 0, 3, 1) == 1


@pytest.mark.parametrize(("f1", "f2", "expected"), [(0.9, 0.9, 0.813333), (0.95, 0.8, 0.763333),
                                                    (0.99, 0.97, 0.9604)])
def test_r2_werner_swap(f1, f2, expected):
    assert f1 * f2 + (1 - f1) * (1 - f2) / 3 == pytest.approx(expected, abs=1e-6)
    for dm in (False, True):
        s1, s2 = be.werner(f1, 0), be.werner(f2, 3)
        if dm:
            s1, s2 = as_dm(s1), as_dm(s2)
        m, joined = be.swap(s1, 1, s2, 0, 0.7)
        assert be.fidelity(joined, 3 ^ m) == pytest.approx(f1 * f2 + (1 - f1) * (1 - f2) / 3, abs=1e-12)


def decohere(state, qubit, noise, t):
    c = channel_params(noise, t)
    return be.decohere(state, qubit, c.gamma, c.p_z, c.p_dep)


@pytest.mark.parametrize(("f0", "t", "tdep", "expected"), [(0.95, 0.01, 0.1, 0.823112), (1.0, 0.1, 1.0, 0.864048),
                                                           (0.9, 0.05, 0.5, 0.782175)])
def test_r4_depolarising_memory(f0, t, tdep, expected):
    noise = MemoryNoise(depolarizing_time_s=tdep)
    for dm in (False, True):
        s = be.werner(f0)
        if dm:
            s = as_dm(s)
        s = decohere(decohere(s, 0, noise, t), 1, noise, t)
        assert be.fidelity(s, 0) == pytest.approx(expected, abs=1e-6)


def r5(t_a, t_b, t1, t2, w=1.0):
    a_a, a_b = math.exp(-t_a / t1), math.exp(-t_b / t1)
    c_a, c_b = math.exp(-t_a / t2), math.exp(-t_b / t2)
    f_phi = (1 + a_a * a_b + (1 - a_a) * (1 - a_b)) / 4 + c_a * c_b / 2
    mixed = 0.5 * ((1 - a_a / 2) * (1 - a_b / 2) + a_a * a_b / 4)
    return w * f_phi + (1 - w) * mixed


@pytest.mark.parametrize(("f0", "t_a", "t_b", "t1", "t2", "expected"), [
    (1.0, 0.01, 0.01, math.inf, 0.1, 0.909365), (1.0, 0.01, 0.0, math.inf, 0.1, 0.952419),
    (1.0, 0.01, 0.01, 2.68, 1.0, 0.988244), (1.0, 0.001, 0.001, 2.68e-3, 1e-3, 0.460447),
    (1.0, 0.001, 0.0, 2.68e-3, 1e-3, 0.606083), (1.0, 0.5, 0.5, 10.0, 1.0, 0.660744),
    (0.9, 0.01, 0.02, 0.05, 0.04, 0.588542), (0.95, 0.001, 0.0, 2.68e-3, 1e-3, 0.582344),
    (0.8, 0.3, 0.1, 10.0, 1.0, 0.672002)])
def test_r5_t1_t2_memory(f0, t_a, t_b, t1, t2, expected):
    noise = MemoryNoise(t1_s=t1, t2_s=t2)
    s = decohere(decohere(be.werner(f0), 0, noise, t_a), 1, noise, t_b)
    assert be.fidelity(s, 0) == pytest.approx(expected, abs=1e-6)
    w = (4 * f0 - 1) / 3
    assert be.fidelity(s, 0) == pytest.approx(r5(t_a, t_b, t1, t2, w), abs=1e-12)


def test_amplitude_damping_decays_towards_ground_state():
    s = decohere(as_dm(be.werner(1.0, 0)), 0, MemoryNoise(t1_s=1.0, t2_s=2.0), 50.0)
    s = decohere(s, 1, MemoryNoise(t1_s=1.0, t2_s=2.0), 50.0)
    rho = be.density_matrix(s)
    assert rho[0, 0].real == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_bell_diagonal_and_density_matrix_paths_agree(seed):
    rng = np.random.default_rng(seed)
    p1, p2 = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    bd1, bd2 = be.create_bell_diagonal(p1), be.create_bell_diagonal(p2)
    dm1, dm2 = as_dm(bd1), as_dm(bd2)
    gz, pz, pd = 0.0, rng.random() * 0.5, rng.random()
    for q in (0, 1):
        assert np.allclose(be.density_matrix(be.decohere(bd1, q, gz, pz, pd)),
                           be.density_matrix(be.decohere(dm1, q, gz, pz, pd)), atol=1e-12)
    u = rng.random()
    m1, j1 = be.swap(bd1, 1, bd2, 0, u)
    m2, j2 = be.swap(dm1, 1, dm2, 0, u)
    assert m1 == m2
    assert np.allclose(be.density_matrix(j1), be.density_matrix(j2), atol=1e-12)
    for bases in itertools.product("XYZ", repeat=2):
        assert np.allclose(be.outcome_probabilities(bd1, bases), be.outcome_probabilities(dm1, bases), atol=1e-12)


@pytest.mark.parametrize("k", range(4))
def test_measurement_correlations_of_bell_states(k):
    state = as_dm(be.werner(1.0, k))
    for basis in "XYZ":
        probs = be.outcome_probabilities(state, (basis, basis))
        p_equal = probs[0] + probs[3]
        assert p_equal == pytest.approx(1.0 - correlation_flip(k, basis), abs=1e-12)
    assert be.outcome_probabilities(state, ("X", "Z")) == pytest.approx([0.25] * 4)


def test_r3_fidelity_from_qbers():
    p = np.array([0.7, 0.1, 0.15, 0.05])
    s = be.create_bell_diagonal(p)
    q = {b: 1 - sum(be.outcome_probabilities(s, (b, b))[i] for i in (0, 3)) for b in "XZ"}
    # errors relative to Phi+ correlations: YY = -1 is "correct"
    q["Y"] = sum(be.outcome_probabilities(s, ("Y", "Y"))[i] for i in (0, 3))
    assert 1 - (q["X"] + q["Y"] + q["Z"]) / 2 == pytest.approx(p[0])
