"""Physical layer against closed forms: fibre (R12), single-click (R13), double-click (R14)."""

import math

import pytest

from qnp_engine.model.topology import LinkParams
from qnp_engine.physical.decoherence import MemoryNoise, channel_params
from qnp_engine.physical.fibre import delay_s, transmissivity
from qnp_engine.physical.heralding import PairShape, attempt_model, single_click_terms


@pytest.mark.parametrize(("km", "att", "eta"), [(1, 0.2, 0.954993), (10, 0.2, 0.630957), (25, 0.2, 0.316228),
                                                (100, 0.2, 0.01), (2, 5.0, 0.1), (25, 0.5, 0.0562341)])
def test_transmissivity(km, att, eta):
    assert transmissivity(km, att) == pytest.approx(eta, rel=1e-5)


def test_delay():
    assert delay_s(200.0, 2.0e5) == pytest.approx(1e-3)


@pytest.mark.parametrize(("alpha", "eta", "p", "f"), [
    (0.1, 1e-3, 1.9999e-4, 0.900045), (0.3, 1e-3, 5.9991e-4, 0.700105), (0.05, 0.01, 9.9975e-4, 0.950238),
    (0.1, 0.5, 0.0975, 0.923077), (0.1, 1.0, 0.19, 0.947368)])
def test_single_click_ideal_detectors(alpha, eta, p, f):
    terms = single_click_terms(alpha, alpha, eta, eta, 0.0, 1.0)
    assert terms.p_succ == pytest.approx(2 * alpha * eta - alpha**2 * eta**2, rel=1e-12)
    assert terms.p_succ == pytest.approx(p, rel=1e-4)
    assert terms.fidelity == pytest.approx((1 - alpha) / (1 - alpha * eta / 2), rel=1e-12)
    assert terms.fidelity == pytest.approx(f, rel=1e-5)


def test_single_click_dark_counts_and_visibility_lower_fidelity():
    ideal = single_click_terms(0.1, 0.1, 1e-3, 1e-3, 0.0, 1.0)
    noisy = single_click_terms(0.1, 0.1, 1e-3, 1e-3, 5e-7, 0.9)
    assert noisy.p_succ > ideal.p_succ
    assert noisy.fidelity < ideal.fidelity
    # visibility enters only the coherence: F(V) - F(V=1) = (sqrt(V) - 1) sqrt(p_ud p_du) / p
    partial = single_click_terms(0.1, 0.1, 1e-3, 1e-3, 0.0, 0.81)
    delta = (math.sqrt(0.81) - 1) * math.sqrt(ideal.p_ud * ideal.p_du) / ideal.p_succ
    assert partial.fidelity - ideal.fidelity == pytest.approx(delta, rel=1e-9)


@pytest.mark.parametrize(("eta", "p"), [(1.0, 0.5), (0.5, 0.125), (0.1, 0.005), (0.01, 5e-5)])
def test_double_click(eta, p):
    # midpoint at half the length; choose detection efficiency so each arm has transmissivity eta
    link = LinkParams(model="double_click", length_km=0.0, detection_efficiency=eta)
    m = attempt_model(link, 0.0, 2e5)
    assert m.success_probability == pytest.approx(p)
    assert m.fidelity == 1.0 and m.shape is PairShape.DOUBLE_CLICK and set(m.bell_indices) == {1, 3}


def test_attempt_time_covers_travel_to_the_station_and_back():
    link = LinkParams(model="single_click", length_km=30.0, cycle_time_s=1e-5)
    m = attempt_model(link, 30.0, 2e5)
    assert m.attempt_time_s == pytest.approx(1e-5 + 30.0 / 2e5)
    eta_arm = transmissivity(15.0, 0.2)
    assert m.success_probability == pytest.approx(2 * 0.1 * eta_arm - (0.1 * eta_arm) ** 2)


def test_abstract_model_uses_given_values():
    m = attempt_model(LinkParams(success_probability=0.3, fidelity=0.9, attempt_time_s=2e-3), 50.0, 2e5)
    assert (m.success_probability, m.fidelity, m.attempt_time_s, m.bell_indices) == (0.3, 0.9, 2e-3, (0,))
    assert m.mean_pair_time_s == pytest.approx(2e-3 / 0.3)


def test_channel_parameters():
    c = channel_params(MemoryNoise(t1_s=2.0, t2_s=1.0), 0.5)
    assert c.gamma == pytest.approx(1 - math.exp(-0.25))
    # total coherence factor sqrt(1-gamma) * (1 - 2 p_z) = exp(-t/T2)
    assert math.sqrt(1 - c.gamma) * (1 - 2 * c.p_z) == pytest.approx(math.exp(-0.5))
    d = channel_params(MemoryNoise(depolarizing_time_s=0.1), 0.05)
    assert d.p_dep == pytest.approx(1 - math.exp(-0.5)) and d.gamma == 0 and d.p_z == 0
