"""Snapshots: the numbers of a running simulation at one simulated time (the live metric stream)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class LinkSnapshot:
    a: str
    b: str
    attempts: int
    pairs_generated: int
    pairs_discarded: int
    fidelity_mean: float
    success_probability: float


@dataclass(frozen=True, slots=True)
class NodeSnapshot:
    name: str
    qubits_in_use: int
    qubits_total: int


@dataclass(frozen=True, slots=True)
class RequestSnapshot:
    name: str
    src: str
    dst: str
    path: tuple[str, ...]
    status: str
    pairs_delivered: int
    pairs_expired: int
    throughput_hz: float
    fidelity_mean: float
    latency_mean_s: float


@dataclass(frozen=True, slots=True)
class Snapshot:
    sim_time_s: float
    events: int
    progress: float
    links: tuple[LinkSnapshot, ...]
    nodes: tuple[NodeSnapshot, ...]
    requests: tuple[RequestSnapshot, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    def rows(self) -> list[tuple[str, str, float]]:
        """One (entity, metric, value) row per number, for a metric-samples table.

        Links that have not made a single attempt yet are left out: they have nothing to report
        (their numbers are zeros and the model's fidelity), and a large network has many of them.
        """
        out: list[tuple[str, str, float]] = []
        for lk in self.links:
            if not lk.attempts and not lk.pairs_generated:
                continue
            e = f"link:{lk.a}-{lk.b}"
            out += [(e, "attempts", float(lk.attempts)), (e, "pairs_generated", float(lk.pairs_generated)),
                    (e, "pairs_discarded", float(lk.pairs_discarded)), (e, "fidelity", lk.fidelity_mean)]
        for n in self.nodes:
            out.append((f"node:{n.name}", "qubits_in_use", float(n.qubits_in_use)))
            out.append((f"node:{n.name}", "qubits_total", float(n.qubits_total)))
        for r in self.requests:
            e = f"request:{r.name}"
            out += [(e, "pairs_delivered", float(r.pairs_delivered)), (e, "pairs_expired", float(r.pairs_expired)),
                    (e, "throughput_hz", r.throughput_hz), (e, "fidelity", r.fidelity_mean),
                    (e, "latency_s", r.latency_mean_s)]
        out.append(("run", "events", float(self.events)))
        out.append(("run", "progress", self.progress))
        return out
