"""Façade over every layer: ``Simulation`` (advance/stream/run), ``Snapshot``, ``RunResult``."""

from qnp_engine.sim.result import RunResult
from qnp_engine.sim.simulation import Simulation, run_scenario
from qnp_engine.sim.snapshot import LinkSnapshot, NodeSnapshot, RequestSnapshot, Snapshot

__all__ = ["LinkSnapshot", "NodeSnapshot", "RequestSnapshot", "RunResult", "Simulation", "Snapshot", "run_scenario"]
