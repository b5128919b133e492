"""Link layer: geometric attempts (R6), OKs at both ends, scheduling among purposes."""

import math

import pytest

from qnp_engine.backends.closed_form import ClosedFormBackend
from qnp_engine.kernel.scheduler import Scheduler
from qnp_engine.link.link_layer import LinkLayer
from qnp_engine.link.memory import MemoryPool
from qnp_engine.link.messages import CreateRequest
from qnp_engine.link.qubits import QuantumOps
from qnp_engine.model.topology import LinkParams
from qnp_engine.physical.decoherence import MemoryNoise
from qnp_engine.physical.heralding import attempt_model
from qnp_engine.sim import run_scenario
from tests.scenarios import chain


def make_link(params: LinkParams, seed=3, capacity=1, priority=False):
    sched = Scheduler(seed)
    ops = QuantumOps(ClosedFormBackend(), sched)
    model = attempt_model(params, params.length_km or 0.0, 2e5)
    link = LinkLayer(0, sched, ops, "A", "B", model, MemoryPool("A", capacity), MemoryPool("B", capacity),
                     MemoryNoise(), MemoryNoise(), strict_priority=priority)
    return sched, link


@pytest.mark.parametrize("p", [0.5, 0.1, 0.01])
def test_r6_mean_attempts_per_pair(p):
    n_pairs = 4000
    result = run_scenario(chain(2, p=p, pairs=n_pairs, seed=11))
    link = result.links[0]
    assert link["pairs_generated"] >= n_pairs
    mean = link["attempts"] / link["pairs_generated"]
    sd = math.sqrt(1 - p) / p
    assert abs(mean - 1 / p) < 5 * sd / math.sqrt(link["pairs_generated"])
    # pairs per second of simulated time: one pair per attempt_time/p on average
    r = result.requests[0]
    assert r["pairs_delivered"] == n_pairs and r["fidelity_mean"] == pytest.approx(1.0)


def test_single_click_heralding_probability_matches_formula():
    scenario = chain(2, model="single_click", length_km=20.0, attempt_time_s=None,
                     link_extra={"alpha": 0.1, "detection_efficiency": 0.9}, pairs=3000, seed=5)
    result = run_scenario(scenario)
    link = result.links[0]
    eta = 0.9 * 10 ** (-0.2 * 10 / 10)
    p = 2 * 0.1 * eta - (0.1 * eta) ** 2
    assert link["success_probability"] == pytest.approx(p, rel=1e-12)
    n = link["pairs_generated"]
    # the number of attempts for n successes is negative binomial: mean n/p, sd sqrt(n (1-p))/p
    assert abs(link["attempts"] - n / p) < 5 * math.sqrt(n * (1 - p)) / p
    f = (1 - 0.1) / (1 - 0.1 * eta / 2)
    assert result.requests[0]["fidelity_mean"] == pytest.approx(f, rel=1e-9)


def test_ok_delivered_at_both_ends_with_same_sequence_and_bell_index():
    sched, link = make_link(LinkParams(model="double_click", length_km=5.0, detection_efficiency=0.8))
    got = {"A": [], "B": []}

    def handler(node):
        def on_ok(ok):
            got[node].append((ok.seq, ok.bell_index, ok.purpose, sched.now, ok.qubit.pair))
            link.release(node, ok.purpose)
        return on_ok

    for node in "AB":
        link.bind(node, handler(node), lambda err: None)
    link.create("A", CreateRequest(purpose=7))
    sched.run_until(0.5)
    assert len(got["A"]) > 50
    assert [x[:4] for x in got["A"]] == [x[:4] for x in got["B"]]
    assert all(a[4] is b[4] for a, b in zip(got["A"], got["B"], strict=True))  # same physical pair
    assert [x[0] for x in got["A"]] == list(range(1, len(got["A"]) + 1))
    assert {x[1] for x in got["A"]} == {1, 3}  # Psi+ and Psi- heralded


def run_two_purposes(weights, priority=False, until=2.0):
    sched, link = make_link(LinkParams(success_probability=0.2, attempt_time_s=1e-4), priority=priority)
    for node in "AB":
        link.bind(node, lambda ok, node=node: link.release(node, ok.purpose), lambda err: None)
    for purpose, w in zip((1, 2), weights, strict=True):
        link.create("A", CreateRequest(purpose=purpose, weight=w))
    sched.run_until(until)
    return link.generated_by_purpose


def test_wfq_shares_a_saturated_link_in_proportion_to_weights():
    counts = run_two_purposes((1.0, 3.0))
    total = counts[1] + counts[2]
    assert total > 1000
    assert counts[2] / total == pytest.approx(0.75, abs=2 / total)


def test_strict_priority_serves_the_heavier_purpose_only():
    counts = run_two_purposes((1.0, 3.0), priority=True)
    # purpose 1 registered first and got the attempt already under way (no pre-emption), then nothing
    assert counts.get(1, 0) == 1 and counts[2] > 1000


def test_generation_waits_for_free_memory_and_stop_halts_it():
    sched, link = make_link(LinkParams(success_probability=0.5, attempt_time_s=1e-4), capacity=2)
    held = []
    for node in "AB":
        link.bind(node, lambda ok: held.append(ok), lambda err: None)
    link.create("A", CreateRequest(purpose=1))
    sched.run_until(1.0)
    assert link.pairs_generated == 2  # two qubits per end, nobody frees them
    link.release("A", 1)
    link.release("B", 1)
    sched.run_until(2.0)
    assert link.pairs_generated == 3
    link.stop(1)
    before = link.pairs_generated
    for node in "AB":
        link.release(node, 1)
    sched.run_until(3.0)
    assert link.pairs_generated == before


def test_create_rejects_unreachable_fidelity():
    sched, link = make_link(LinkParams(success_probability=0.5, fidelity=0.8, attempt_time_s=1e-4))
    errors = []
    link.bind("A", lambda ok: None, errors.append)
    link.bind("B", lambda ok: None, errors.append)
    link.create("A", CreateRequest(purpose=1, min_fidelity=0.9))
    sched.run_until(1.0)
    assert link.pairs_generated == 0 and errors and errors[0].code.value == "unsupported"


def test_create_with_a_number_stops_after_that_many_pairs():
    sched, link = make_link(LinkParams(success_probability=0.5, attempt_time_s=1e-4))
    for node in "AB":
        link.bind(node, lambda ok, node=node: link.release(node, ok.purpose), lambda err: None)
    link.create("A", CreateRequest(purpose=1, number=25))
    sched.run_until(1.0)
    assert link.pairs_generated == 25 and link.active_purposes() == 0


def test_measure_directly_type_frees_memory_in_the_link_layer():
    sched, link = make_link(LinkParams(success_probability=0.5, attempt_time_s=1e-4), capacity=1)
    oks = []
    for node in "AB":
        link.bind(node, oks.append, lambda err: None)  # the consumer never releases anything
    link.create("A", CreateRequest(purpose=1, measure_directly=True, number=40))
    sched.run_until(1.0)
    assert link.pairs_generated == 40  # with K-type and one qubit per end this would stop at 1
    assert all(ok.qubit.frozen for ok in oks)
    assert link.pools["A"].in_use == 0 and link.pools["B"].in_use == 0


def test_create_times_out_with_an_error_to_the_requester():
    sched, link = make_link(LinkParams(success_probability=1e-6, attempt_time_s=1e-3))
    errors = []
    link.bind("A", lambda ok: None, errors.append)
    link.bind("B", lambda ok: None, lambda err: pytest.fail("only the requester hears of it"))
    link.create("A", CreateRequest(purpose=3, number=5, max_time_s=0.5))
    sched.run_until(10.0)
    assert len(errors) == 1 and errors[0].code.value == "timeout" and errors[0].purpose == 3
    assert link.active_purposes() == 0 and link.pools["A"].in_use == 0
