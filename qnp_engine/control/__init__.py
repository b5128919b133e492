"""Control plane the paper assumes: routing, fidelity budget and cutoff, circuit set-up, admission."""

from qnp_engine.control.planning import CircuitPlan, RequestPlan, plan_circuits, plan_requests

__all__ = ["CircuitPlan", "RequestPlan", "plan_circuits", "plan_requests"]
