"""Every sample topology loads, validates and runs (shortened) with the protocol invariants intact."""

from pathlib import Path

import pytest

from qnp_engine.model import load_scenario
from qnp_engine.sim import Simulation

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_topologies").glob("*.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_sample_runs(path: Path):
    scenario = load_scenario(path)
    reqs = [r.model_copy(update={"pairs": min(r.pairs or 20, 20)}) for r in scenario.requests]
    scenario = scenario.model_copy(update={"requests": reqs})
    sim = Simulation(scenario)
    result = sim.run()
    assert result.invariant_violations == 0
    assert result.events > 0
    for r in result.requests:
        assert r["status"] in ("complete", "rejected"), r
        if r["status"] == "complete":
            assert r["pairs_delivered"] == 20
            assert 0.25 < r["fidelity_mean"] <= 1.0
            plan = next(p for p in sim.net.plans if p.request == r["name"])
            assert r["fidelity_ci95"][0] >= plan.fidelity_bound - 1e-9 or plan.cutoff_s is None
