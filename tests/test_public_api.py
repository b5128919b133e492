"""The engine's public names: sorted, complete and importable (httpx's habit)."""

import qnp_engine
import qnp_engine.model


def test_all_is_sorted_and_importable():
    for module in (qnp_engine, qnp_engine.model):
        names = module.__all__
        assert names == sorted(names)
        for name in names:
            assert getattr(module, name) is not None


def test_public_api_covers_the_documented_flow():
    assert {"load_scenario", "Simulation", "RunResult", "Snapshot", "plan_requests"} <= set(qnp_engine.__all__)
