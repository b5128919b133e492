"""QNP protocol invariants (reference notes §1.15) under randomised delays, cutoffs and load."""

import math

import pytest

from qnp_engine.model import scenario_from_dict, scenario_to_dict
from qnp_engine.network.end_node import EndNode
from qnp_engine.network.intermediate import Intermediate
from qnp_engine.sim import Simulation, run_scenario
from tests.scenarios import chain


def roles(sim, kind):
    return [r for node in sim.net.nodes.values() for r in node.circuits.values() if isinstance(r, kind)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_message_delays_do_not_change_what_is_delivered(seed):
    # 6 nodes, random Bell indices on every link, TRACK/EXPIRE delays jittered by up to 50 attempts:
    # TRACKs overtake swaps and each other, yet both ends agree and the pairs are exact.
    scenario = chain(6, model="double_click", attempt_time_s=None, length_km=1.0, qubits=3,
                     link_extra={"detection_efficiency": 0.9}, pairs=300, seed=seed,
                     jitter_s=5e-3, qos="create_and_keep")
    sim = Simulation(scenario)
    result = sim.run()
    assert result.invariant_violations == 0
    assert result.requests[0]["pairs_delivered"] == 300
    assert min(sim.net.collector.fidelities["ab"]) == pytest.approx(1.0, abs=1e-12)
    waited = sum(m.tracks_waited for m in roles(sim, Intermediate))
    assert waited > 0  # TRACKs really arrived before the swap they refer to


def test_track_arriving_before_the_local_ok_is_kept():
    # A very long first link and a short last one with jitter: the tail's TRACK can reach the head
    # before ... the head's OK? No: OKs are simultaneous at both ends; early TRACKs come from the jitter.
    scenario = chain(3, p=0.5, length_km=0.0, pairs=400, seed=9, jitter_s=1e-3, qubits=4)
    sim = Simulation(scenario)
    result = sim.run()
    assert result.invariant_violations == 0 and result.requests[0]["pairs_delivered"] == 400


@pytest.mark.parametrize("seed", [4, 5])
def test_discards_expire_both_ends_and_slots_are_reused(seed):
    scenario = chain(5, p=0.05, fidelity=0.99, attempt_time_s=1e-4, qubits=2, t2_s=0.02, cutoff_s=2e-3,
                     pairs=200, seed=seed, jitter_s=1e-4, max_time_s=60, qos="create_and_keep")
    sim = Simulation(scenario)
    result = sim.run()
    r = result.requests[0]
    assert result.invariant_violations == 0
    assert r["pairs_delivered"] == 200
    discards = sum(m.discards for m in roles(sim, Intermediate))
    assert discards > 100 and r["pairs_expired"] > 0
    # slots are re-used after discards: far more link pairs than memory slots were generated
    assert sum(lk["pairs_generated"] for lk in result.links) > 10 * 2 * 4
    # nothing leaks: pending tables at the ends and swap records in the middle stay small
    for end in roles(sim, EndNode):
        assert len(end.pending) <= 2 and not end.early
    for mid in roles(sim, Intermediate):
        assert len(mid.waiting) <= 4 and len(mid.records) <= 32 and len(mid.tombstones) <= 32


def test_no_intermediate_keeps_a_link_pair_longer_than_the_cutoff():
    cutoff = 3e-3
    scenario = chain(5, p=0.05, fidelity=0.99, attempt_time_s=1e-4, qubits=2, t2_s=0.05, cutoff_s=cutoff,
                     pairs=100, seed=7, max_time_s=60)
    sim = Simulation(scenario)
    oldest = 0.0
    for _ in sim.stream(slice_s=1e-3):
        for mid in roles(sim, Intermediate):
            for side in mid.available:
                for lp in side:
                    oldest = max(oldest, sim.now - lp.qubit.last_touch)
    assert 0 < oldest <= cutoff + 1e-12
    for end in roles(sim, EndNode):
        assert end.link_errors == []


def test_complete_is_sent_once_and_generation_stops_after_it():
    scenario = chain(4, p=0.3, pairs=50, seed=3, length_km=1.0)
    sim = Simulation(scenario)
    events = []
    original = sim.net.collector.request_event

    def spy(name, event, detail):
        events.append((name, event, detail))
        original(name, event, detail)

    for node in sim.net.nodes.values():
        for role in node.circuits.values():
            role.ctx.request_event = spy
    sim.run()
    assert events.count(("ab", "complete", "done")) == 1
    # keep the clock running well past the end: COMPLETE reaches the tail once, in-flight pairs
    # finish, and then no link generates pairs for the circuit any more
    sim.net.sched.stopped = False
    sim.net.sched.run_until(sim.now + 0.5)
    assert events.count(("ab", "completed_at_tail", "done")) == 1
    generated = [lk.pairs_generated for lk in sim.net.links]
    sim.net.sched.run_until(sim.now + 1.0)
    assert [lk.pairs_generated for lk in sim.net.links] == generated
    assert events.count(("ab", "complete", "done")) == 1


def test_requests_aggregate_on_one_circuit_served_fifo():
    # two qubits per link end: with one, the two opposite circuits could each hold the repeater's
    # only qubit on one link and wait for ever (no cutoff) — a real hazard, see docs/engine.md
    base = scenario_to_dict(chain(3, p=0.3, pairs=100, seed=2, qubits=2))
    base["requests"] = [
        {"name": "first", "src": "A", "dst": "B", "pairs": 100},
        {"name": "second", "src": "A", "dst": "B", "pairs": 100},
        {"name": "reverse", "src": "B", "dst": "A", "pairs": 100},
    ]
    sim = Simulation(scenario_from_dict(base))
    result = sim.run()
    circuits = {r["name"]: r["circuit"] for r in result.requests}
    assert circuits["first"] == circuits["second"] != circuits["reverse"]
    stats = sim.net.collector.requests
    assert stats["first"].last_delivery_s < stats["second"].last_delivery_s
    assert all(r["status"] == "complete" and r["pairs_delivered"] == 100 for r in result.requests)


def test_rate_policing_paces_a_request():
    base = scenario_to_dict(chain(3, p=0.5, pairs=200, seed=2))
    base["requests"][0]["rate_hz"] = 2000.0  # capacity is ~37,000 pairs/s
    result = run_scenario(scenario_from_dict(base))
    assert result.requests[0]["throughput_hz"] == pytest.approx(2000.0, rel=0.02)


def test_admission_rejects_a_rate_above_capacity_with_a_reason():
    base = scenario_to_dict(chain(3, p=0.01, pairs=10, seed=2))
    base["requests"][0]["rate_hz"] = 1e6
    result = run_scenario(scenario_from_dict(base))
    r = result.requests[0]
    assert r["status"] == "rejected" and "exceeds the circuit's remaining capacity" in r["reason"]
    assert r["pairs_delivered"] == 0


def test_unreachable_fidelity_is_rejected_not_run():
    result = run_scenario(chain(5, p=0.5, fidelity=0.9, min_fidelity=0.9, pairs=10))
    r = result.requests[0]
    assert r["status"] == "rejected" and "cannot be met" in r["reason"]
    assert result.events == 0


def test_deadline_completes_a_request_with_timeout():
    base = scenario_to_dict(chain(3, p=0.001, pairs=1000, seed=2, max_time_s=5))
    base["requests"][0]["deadline_s"] = 0.05
    result = run_scenario(scenario_from_dict(base))
    r = result.requests[0]
    assert r["status"] == "timeout" and 0 < r["pairs_delivered"] < 1000
    assert result.sim_time_s < 0.1


def test_unknown_link_label_releases_the_qubit():
    sim = Simulation(chain(2, p=0.5, pairs=5))
    node = sim.net.nodes["A"]
    link = sim.net.links[0]

    class FakeOk:
        link, purpose, seq, bell_index = 0, 999, 1, 0
        qubit = type("Q", (), {"frozen": False})()

    link.pools["A"].take(999)
    node.on_ok(FakeOk())
    assert node.unknown_label_releases == 1 and link.pools["A"].in_use == 0


def test_same_seed_same_result_different_seed_different_result():
    s = chain(5, p=0.1, fidelity=0.97, t2_s=0.5, pairs=100, seed=42)
    a, b = run_scenario(s).to_dict(), run_scenario(s).to_dict()
    a.pop("wall_time_s")
    b.pop("wall_time_s")
    assert a == b
    c = run_scenario(chain(5, p=0.1, fidelity=0.97, t2_s=0.5, pairs=100, seed=43)).to_dict()
    assert c["sim_time_s"] != a["sim_time_s"]


def test_snapshots_stream_monotonically_and_match_the_result():
    sim = Simulation(chain(3, p=0.2, pairs=500, seed=1))
    snaps = list(sim.stream())
    delivered = [s.requests[0].pairs_delivered for s in snaps]
    assert delivered == sorted(delivered) and delivered[-1] == 500
    assert snaps[-1].progress == 1.0 and math.isclose(snaps[-1].sim_time_s, sim.result().sim_time_s)
    rows = snaps[-1].rows()
    assert ("request:ab", "pairs_delivered", 500.0) in rows
    assert any(e == "link:A-R1" and m == "pairs_generated" for e, m, _ in rows)


def test_request_without_a_pair_count_ends_with_the_run():
    result = run_scenario(chain(3, p=0.3, pairs=None, seed=2, max_time_s=0.01))
    r = result.requests[0]
    assert r["status"] == "ended" and r["pairs_delivered"] > 0
    assert result.sim_time_s == pytest.approx(0.01)
    short = run_scenario(chain(3, p=0.001, pairs=10**6, seed=2, max_time_s=0.01)).requests[0]
    assert short["status"] == "unfinished"


def test_snapshot_rows_leave_out_idle_links():
    from qnp_engine.model import load_scenario
    from tests.scenarios import ROOT_SAMPLES

    scenario = load_scenario(ROOT_SAMPLES / "dumbbell.yaml")
    only_first = scenario.model_copy(update={"requests": scenario.requests[:1]})
    sim = Simulation(only_first)
    rows = list(sim.stream())[-1].rows()
    linked = {e for e, _, _ in rows if e.startswith("link:")}
    assert linked == {"link:A1-R1", "link:R1-R2", "link:R2-B1"}  # A2-R1 and R2-B2 never attempted
