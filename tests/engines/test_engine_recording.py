"""Operation histories are recorded, replayed on another engine, and verified ("verify with CUDA-Q")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qnp_engine.backends.recording import (
    MAX_MEASUREMENTS,
    RecordingBackend,
    Swap,
    lineage,
    replay,
    verify_report,
    verify_with,
)
from qnp_engine.physical.decoherence import MemoryNoise, channel_params
from tests.engines.engine_helpers import make_engine

NOISE = MemoryNoise(t1_s=0.5, t2_s=0.2)


def chain(backend, rng: np.random.Generator, hops: int = 3):
    """A repeater chain: links created, stored, swapped left to right, the end pair measured."""
    link = [backend.werner(0.95, int(rng.integers(4))) for _ in range(hops)]
    state = link[0]
    for nxt in link[1:]:
        c = channel_params(NOISE, float(rng.uniform(0, 0.05)))
        state = backend.decohere(state, 1, c.gamma, c.p_z, c.p_dep)
        nxt = backend.decohere(nxt, 0, c.gamma, c.p_z, c.p_dep)
        _, state = backend.swap(state, 1, nxt, 0, float(rng.uniform()))
    backend.measure(state, ("X", "X"), float(rng.uniform()))
    return state


def test_lineage_lists_every_operation():
    rec = RecordingBackend(make_engine("closed-form"))
    a = rec.create_density_matrix(np.diag([0.7, 0.1, 0.1, 0.1]))
    b = rec.decohere(rec.werner(0.9, 2), 0, 0.1, 0.02, 0.0)
    m, joined = rec.swap(a, 1, b, 0, 0.6)
    rec.measure(joined, ("Z", "Y"), 0.25)
    steps = lineage(joined)
    assert [s["op"] for s in steps] == ["create", "create", "decohere", "swap", "measure"]
    assert steps[2] == {"id": 2, "op": "decohere", "inputs": [1], "qubit": 0, "gamma": 0.1, "p_z": 0.02, "p_dep": 0.0}
    assert steps[3]["inputs"] == [0, 2] and steps[3]["u"] == 0.6 and steps[3]["outcome"] == m
    assert steps[4]["bases"] == ["Z", "Y"] and steps[4]["u"] == 0.25
    assert rec.name == "closed-form" and rec.describe() == "closed-form (numpy)"


@pytest.mark.parametrize("other", ["qiskit", "cudaq-dm", "cudaq-sv"])
def test_verify_closed_form_runs_on_circuit_engines(other):
    rec = RecordingBackend(make_engine("closed-form"))
    rng = np.random.default_rng(21)
    delivered = [chain(rec, rng) for _ in range(4)]
    report = verify_report(delivered, make_engine(other))
    assert report.checked == 4 and report.outcome_mismatches == 0 and report.agrees
    assert report.max_fidelity_difference < 1e-9
    assert report.max_matrix_difference < 1e-9
    assert verify_with(delivered, make_engine(other), sample=2) < 1e-9


def test_verify_detects_a_different_engine_history():
    """A tampered history (another swap outcome) is reported, not silently accepted."""
    rec = RecordingBackend(make_engine("closed-form"))
    a, b = rec.werner(0.9), rec.werner(0.9)
    m, joined = rec.swap(a, 1, b, 0, 0.1)
    tampered = dataclasses.replace(joined.node, outcome=(m + 1) % 4)
    assert isinstance(tampered, Swap)
    assert replay(tampered, make_engine("qiskit")).outcome_mismatches == 1
    joined.node = tampered
    assert not verify_report([joined], make_engine("closed-form")).agrees


def test_verify_finds_a_real_fidelity_difference():
    """If the recorded state differs from what its history gives, the difference is reported."""
    rec = RecordingBackend(make_engine("closed-form"))
    state = rec.werner(0.9)
    state.inner = make_engine("closed-form").werner(0.8)  # corrupt the recorded engine's state
    assert verify_with([state], make_engine("qiskit")) == pytest.approx(0.1, abs=1e-9)


def test_sampling_is_seeded():
    rec = RecordingBackend(make_engine("closed-form"))
    rng = np.random.default_rng(3)
    states = [chain(rec, rng, hops=2) for _ in range(10)]
    assert verify_report(states, make_engine("closed-form"), sample=3, seed=1).checked == 3
    assert verify_report(states, make_engine("closed-form"), sample=30).checked == 10
    with pytest.raises(TypeError, match="RecordingBackend"):
        verify_with([make_engine("closed-form").werner(0.9)], make_engine("closed-form"))


def test_long_histories_replay_without_recursion():
    rec = RecordingBackend(make_engine("closed-form"))
    state = rec.werner(0.99)
    for _ in range(3000):
        state = rec.decohere(state, 0, 0.0, 1e-4, 0.0)
    replayed = replay(state.node, make_engine("closed-form")).state
    assert make_engine("closed-form").fidelity(replayed, 0) == pytest.approx(rec.fidelity(state, 0), abs=1e-12)


def test_cudaq_history_verifies_on_closed_form():
    """The other direction: a run on CUDA-Q, checked against the closed form."""
    rec = RecordingBackend(make_engine("cudaq-dm"))
    rng = np.random.default_rng(8)
    delivered = [chain(rec, rng) for _ in range(2)]
    assert rec.describe() == "cudaq (density-matrix-cpu)"
    assert verify_with(delivered, make_engine("closed-form")) < 1e-9


def test_a_shared_state_keeps_a_bounded_measurement_log():
    """One state object measured for many pairs: every measurement counts, the first few replay."""
    rec = RecordingBackend(make_engine("closed-form"))
    state = rec.werner(0.9)
    outcomes = [rec.measure(state, ("Z", "Z"), u) for u in np.linspace(0.01, 0.99, 40)]
    assert state.measured == 40 and len(state.measurements) == MAX_MEASUREMENTS
    assert [m.outcome for m in state.measurements] == outcomes[:MAX_MEASUREMENTS]
    assert verify_report([state], make_engine("qiskit")).agrees
