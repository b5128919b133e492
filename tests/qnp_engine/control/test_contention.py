"""The control plane warns about circuits that can block each other at a repeater, and the warning is real:
the engine run it warns about delivers nothing, the same run with a cutoff or two qubits per link completes."""

from __future__ import annotations

import pytest

from qnp_engine.cli.summary import render_summary
from qnp_engine.control import plan_requests
from qnp_engine.model import Scenario, scenario_from_dict
from qnp_engine.sim import Simulation

PAIRS = 200


def chain(qubits: int, requests: list[dict], repeater_qubits: int | None = None) -> Scenario:
    nodes = [{"name": "A", "role": "end"}, {"name": "R", "role": "repeater"}, {"name": "B", "role": "end"}]
    if repeater_qubits is not None:
        nodes[1]["memory"] = {"qubits_per_link": repeater_qubits, "depolarizing_time_s": 1.0}
    return scenario_from_dict({
        "name": "crossing",
        "defaults": {"link": {"model": "abstract", "length_km": 10, "success_probability": 0.3, "fidelity": 0.95},
                     "node": {"memory": {"qubits_per_link": qubits, "depolarizing_time_s": 1.0}}},
        "nodes": nodes,
        "links": [{"a": "A", "b": "R"}, {"a": "R", "b": "B"}],
        "requests": requests,
        "simulation": {"seed": 3, "max_time_s": 2.0},
    })


def req(name: str, src: str, dst: str, **extra) -> dict:
    return {"name": name, "src": src, "dst": dst, "qos": "create_and_keep", "pairs": PAIRS, **extra}


OPPOSITE = [req("ab", "A", "B"), req("ba", "B", "A")]
# Same direction, two circuits (another basis rule makes another class), the second starting a little later.
SAME_WAY = [req("z", "A", "B"), req("x", "A", "B", basis="X", start_s=0.013)]


def delivered(scenario: Scenario) -> list[int]:
    return [r["pairs_delivered"] for r in Simulation(scenario).run().to_dict()["requests"]]


@pytest.mark.parametrize(("requests", "repeater_qubits", "short"), [
    (OPPOSITE, None, "A, B, R"), (SAME_WAY, None, "A, B, R"),
    (OPPOSITE, 2, "A, B"),  # end nodes hold their halves until delivery: one qubit there is enough to block
], ids=["opposite", "same-way", "opposite, two qubits only at the repeater"])
def test_warned_circuits_really_block_each_other(requests, repeater_qubits, short):
    warned = chain(1, requests, repeater_qubits)
    plans = plan_requests(warned)
    assert all(p.feasible for p in plans)  # admitted: each alone is fine
    for plan, other in zip(plans, reversed(plans), strict=True):
        (text,) = plan.warnings
        assert text.startswith("can block at R: 2 circuits without a cutoff cross it over A-R and R-B, which hold "
                               f"2 pair(s) at a time (with {other.request}); set cutoff_s or give {short} "
                               "qubits_per_link >= 2")
    assert min(delivered(warned)) == 0  # a circuit of the run the warning is about starves


@pytest.mark.parametrize("scenario", [
    chain(1, [{**r, "cutoff_s": 0.01} for r in OPPOSITE]), chain(2, OPPOSITE),
], ids=["cutoff", "two qubits everywhere"])
def test_a_cutoff_or_more_qubits_clears_the_warning_and_the_run_completes(scenario):
    assert [p.warnings for p in plan_requests(scenario)] == [[], []]
    assert delivered(scenario) == [PAIRS, PAIRS]


def test_one_circuit_is_not_warned():
    assert plan_requests(chain(1, [req("ab", "A", "B")]))[0].warnings == []
    # Two requests of one class share one circuit: its own pairs always swap with each other.
    one_circuit = plan_requests(chain(1, [req("ab", "A", "B"), req("ab2", "A", "B")]))
    assert [p.circuit for p in one_circuit] == [1, 1] and [p.warnings for p in one_circuit] == [[], []]


def test_qnp_show_prints_the_warning():
    text = render_summary(chain(1, OPPOSITE))
    assert text.count("warning: can block at R") == 2
