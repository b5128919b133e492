"""The control plane's preview of each request: route, per-link fidelity needed, feasibility.

UI layer, pure. ``qnp_engine.control.plan_requests`` is pure and fast, so pages call it directly,
before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from qnp_engine.control import RequestPlan, plan_requests
from qnp_engine.model import Scenario


@dataclass(frozen=True)
class PlanView:
    plans: list[RequestPlan]

    @property
    def all_feasible(self) -> bool:
        return all(p.feasible for p in self.plans)

    def paths(self) -> dict[str, list[str]]:
        return {p.request: list(p.path) for p in self.plans if p.path}

    def rows(self) -> list[dict]:
        return [{
            "request": p.request,
            "feasible": "✅ yes" if p.feasible else "❌ no",
            "route": " → ".join(p.path) if p.path else "—",
            "hops": max(len(p.path) - 1, 0),
            "link fidelity required": p.link_fidelity_required,
            "worst-case delivered fidelity": p.fidelity_bound,
            "rate estimate (Hz)": p.rate_estimate_hz,
            "cutoff (ms)": p.cutoff_s * 1e3 if p.cutoff_s is not None else None,
            "why not": p.reason or "",
            "warnings": "; ".join(p.warnings),
        } for p in self.plans]

    def warnings(self) -> list[str]:
        """Admitted requests the control plane warns about, one line each (e.g. circuits that can block)."""
        return [f"{p.request}: {w}" for p in self.plans for w in p.warnings]


def preview(scenario: Scenario) -> PlanView:
    return PlanView(plan_requests(scenario))
