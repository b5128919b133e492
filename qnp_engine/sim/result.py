"""RunResult: the JSON-stable outcome of a run (the schema is extended, never broken)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunResult:
    scenario: str
    seed: int
    engine: str
    sim_time_s: float
    wall_time_s: float
    events: int
    links: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    jain_fairness: float | None = None
    engine_target: str = ""
    invariant_violations: int = 0
    outcomes: dict[str, list[tuple[str, int, str, int]]] = field(default_factory=dict)
    verification: dict[str, Any] | None = None  # "verify with another engine" report

    def to_dict(self, include_outcomes: bool = False) -> dict[str, Any]:
        d = {
            "scenario": self.scenario, "seed": self.seed, "engine": self.engine,
            "engine_target": self.engine_target, "sim_time_s": self.sim_time_s,
            "wall_time_s": self.wall_time_s, "events": self.events,
            "links": self.links, "requests": self.requests, "jain_fairness": self.jain_fairness,
            "invariant_violations": self.invariant_violations,
        }
        if self.verification is not None:
            d["verification"] = self.verification
        if include_outcomes:
            d["outcomes"] = {k: [list(x) for x in v] for k, v in self.outcomes.items()}
        return d

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(**kw), indent=2)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        outcomes = {k: [tuple(x) for x in v] for k, v in d.get("outcomes", {}).items()}
        return cls(d["scenario"], d["seed"], d["engine"], d["sim_time_s"], d["wall_time_s"], d["events"],
                   d["links"], d["requests"], d.get("jain_fairness"), d.get("engine_target", ""),
                   d.get("invariant_violations", 0), outcomes, d.get("verification"))

    def request(self, name: str) -> dict[str, Any]:
        for r in self.requests:
            if r["name"] == name:
                return r
        raise KeyError(name)


def jain_index(values: list[float]) -> float | None:
    """Jain et al. 1984: (sum x)^2 / (n sum x^2); 1 is perfectly fair."""
    if not values:
        return None
    sq = sum(x * x for x in values)
    if sq == 0:
        return 1.0
    return sum(values) ** 2 / (len(values) * sq)
