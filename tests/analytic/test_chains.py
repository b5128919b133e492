"""Whole runs against independent analytic results (reference notes §4), fixed seeds, 5-sigma bounds."""

import math

import numpy as np
import pytest

from qnp_engine.sim import Simulation, run_scenario
from tests.scenarios import chain


def werner(f):
    return (4 * f - 1) / 3


def max_geometric_moments(p: float, n_max: int = 20000) -> tuple[float, float]:
    """Mean and variance of max(N1, N2), N_i ~ Geometric(p), from P(max <= n) = (1 - q^n)^2."""
    n = np.arange(1, n_max)
    q = 1 - p
    cdf = (1 - q**n) ** 2
    pmf = np.diff(np.concatenate([[0.0], cdf]))
    mean = float((n * pmf).sum())
    return mean, float((n**2 * pmf).sum() - mean**2)


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_r7_two_segment_delivery_rate(p):
    mean, var = max_geometric_moments(p)
    assert mean == pytest.approx((3 - 2 * p) / (p * (2 - p)), rel=1e-9)  # the closed form of R7
    n_pairs, t = 6000, 1e-5
    result = run_scenario(chain(3, p=p, pairs=n_pairs, attempt_time_s=t, seed=21))
    r = result.requests[0]
    assert r["pairs_delivered"] == n_pairs
    per_pair = 1 / r["throughput_hz"] / t  # mean attempt slots per delivered pair
    assert abs(per_pair - mean) < 5 * math.sqrt(var / n_pairs), (per_pair, mean)


@pytest.mark.parametrize("fidelities", [[0.9, 0.95], [0.99, 0.97, 0.93], [0.95] * 4,
                                        [0.98, 0.9, 0.99, 0.97, 0.96, 0.95, 0.92, 0.99]])
def test_werner_chain_fidelity_is_product_of_werner_parameters(fidelities):
    n = len(fidelities) + 1
    scenario = chain(n, p=0.3, pairs=60, seed=3)
    links = [lk.model_copy(update={"fidelity": f}) for lk, f in zip(scenario.topology.links, fidelities, strict=True)]
    scenario = scenario.model_copy(update={"topology": scenario.topology.model_copy(update={"links": links})})
    sim = Simulation(scenario)
    result = sim.run()
    expected = (1 + 3 * math.prod(werner(f) for f in fidelities)) / 4
    fids = sim.net.collector.fidelities["ab"]
    assert len(fids) == 60
    assert max(abs(f - expected) for f in fids) < 1e-12
    assert result.invariant_violations == 0


@pytest.mark.parametrize("n_nodes", range(2, 10))
def test_noiseless_chains_deliver_exact_bell_pairs(n_nodes):
    # double-click links herald Psi+ or Psi- at random, so the Pauli frame is exercised on every hop
    scenario = chain(n_nodes, model="double_click", attempt_time_s=None, length_km=2.0, qubits=2,
                     link_extra={"detection_efficiency": 0.9}, pairs=40, seed=n_nodes, qos="create_and_keep")
    sim = Simulation(scenario)
    result = sim.run()
    fids = sim.net.collector.fidelities["ab"]
    assert result.requests[0]["pairs_delivered"] == 40
    assert min(fids) == pytest.approx(1.0, abs=1e-12)
    assert result.invariant_violations == 0


def test_memory_decay_while_waiting_for_the_neighbour_link():
    # One repeater; the qubit of whichever link succeeds first waits |N1 - N2| attempts, dephasing
    # with T2; end qubits are measured at once. E[F] = (1 + E[exp(-lam |D|)]) / 2 with
    # P(|D|=0) = p/(2-p), P(|D|=k) = 2 p q^k/(2-p).
    p, t, t2, n_pairs = 0.1, 1e-4, 1e-2, 5000
    scenario = chain(3, p=p, attempt_time_s=t, t2_s=t2, pairs=n_pairs, seed=8)
    sim = Simulation(scenario)
    sim.run()
    q = 1 - p

    def expect_exp(lam):
        x = q * math.exp(-lam)
        return p / (2 - p) * (1 + 2 * x / (1 - x))

    lam = t / t2
    mean_f = (1 + expect_exp(lam)) / 2
    var_f = (1 + 2 * expect_exp(lam) + expect_exp(2 * lam)) / 4 - mean_f**2
    fids = sim.net.collector.fidelities["ab"]
    assert len(fids) == n_pairs
    assert abs(np.mean(fids) - mean_f) < 5 * math.sqrt(var_f / n_pairs)
    assert mean_f < 0.99  # the effect being tested is not negligible


def test_create_and_keep_end_qubits_decohere_until_delivery():
    # A single 100 km link: each end holds its qubit for the TRACK's flight L/c before delivery.
    length, c, t2 = 100.0, 2e5, 5e-3
    scenario = chain(2, p=0.5, length_km=length, t2_s=t2, qos="create_and_keep", pairs=50, seed=2)
    sim = Simulation(scenario)
    sim.run()
    hold = length / c
    expected = (1 + math.exp(-2 * hold / t2)) / 2
    fids = sim.net.collector.fidelities["ab"]
    assert max(abs(f - expected) for f in fids) < 1e-12
    md = Simulation(chain(2, p=0.5, length_km=length, t2_s=t2, pairs=50, seed=2))
    md.run()
    assert min(md.net.collector.fidelities["ab"]) == pytest.approx(1.0)  # measured at once: no decay


def test_cutoff_keeps_every_delivered_pair_above_the_budget():
    scenario = chain(4, p=0.05, fidelity=0.97, attempt_time_s=1e-4, qubits=2, t2_s=0.05, min_fidelity=0.85,
                     pairs=300, seed=4, max_time_s=60)
    sim = Simulation(scenario)
    result = sim.run()
    plan = sim.net.plans[0]
    assert plan.feasible and plan.cutoff_s is not None
    assert plan.fidelity_bound == pytest.approx(0.85, abs=1e-6)
    fids = sim.net.collector.fidelities["ab"]
    assert len(fids) == 300
    assert min(fids) >= plan.fidelity_bound - 1e-12
    assert sum(lk["pairs_discarded"] for lk in result.links) > 0  # the cutoff really acted
    assert result.requests[0]["pairs_expired"] > 0
    # without the cutoff the same hardware delivers pairs below the target
    loose = chain(4, p=0.05, fidelity=0.97, attempt_time_s=1e-4, qubits=2, t2_s=0.05, pairs=300, seed=4,
                  max_time_s=60)
    sim2 = Simulation(loose)
    sim2.run()
    assert min(sim2.net.collector.fidelities["ab"]) < 0.85


def test_test_rounds_estimate_the_true_fidelity():
    f_link = 0.93
    scenario = chain(3, p=0.3, fidelity=f_link, pairs=3000, test_rounds=0.5, seed=12)
    result = run_scenario(scenario)
    r = result.requests[0]
    true_f = (1 + 3 * werner(f_link) ** 2) / 4
    assert r["fidelity_mean"] == pytest.approx(true_f, abs=1e-12)
    # ~3000 test rounds, ~1000 per basis; each QBER has sd sqrt(Q(1-Q)/1000)
    q = 2 * (1 - true_f) / 3
    sd = math.sqrt(3 * q * (1 - q) / 1000) / 2
    assert abs(r["estimated_fidelity"] - true_f) < 5 * sd


def test_measure_directly_outcomes_have_the_werner_qber():
    f_link = 0.95
    scenario = chain(3, p=0.3, fidelity=f_link, pairs=4000, seed=13, basis="XZ")
    sim = Simulation(scenario, keep_outcomes=True)
    result = sim.run()
    outcomes = result.outcomes["ab"]
    same = [(a, b) for ba, a, bb, b in outcomes if ba == bb]
    qber = sum(a != b for a, b in same) / len(same)
    expected = (1 - werner(f_link) ** 2) / 2  # invariant 8 of notes §1.15
    assert abs(qber - expected) < 5 * math.sqrt(expected * (1 - expected) / len(same))
    assert 0.4 < len(same) / len(outcomes) < 0.6  # random X/Z bases at each end


def test_perfect_links_give_perfectly_correlated_outcomes():
    sim = Simulation(chain(5, model="double_click", attempt_time_s=None, length_km=1.0, qubits=1,
                           link_extra={"detection_efficiency": 0.95}, pairs=500, basis="XYZ", seed=6),
                     keep_outcomes=True)
    outcomes = sim.run().outcomes["ab"]
    same = [(a, b) for ba, a, bb, b in outcomes if ba == bb]
    assert len(same) > 100 and all(a == b for a, b in same)


def test_two_saturated_circuits_sharing_a_link_are_treated_fairly():
    from qnp_engine.model import load_scenario
    from tests.scenarios import ROOT_SAMPLES

    scenario = load_scenario(ROOT_SAMPLES / "dumbbell.yaml")
    reqs = [r.model_copy(update={"pairs": None, "qos": scenario.requests[0].qos}) for r in scenario.requests]
    sim_settings = scenario.simulation.model_copy(update={"max_time_s": 0.3})
    scenario = scenario.model_copy(update={"requests": reqs, "simulation": sim_settings})
    result = run_scenario(scenario)
    rates = [r["throughput_hz"] for r in result.requests]
    assert min(rates) > 1000
    assert result.jain_fairness >= 0.99, rates
