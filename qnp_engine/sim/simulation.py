"""The façade: build a scenario once, advance it in slices of simulated time, read snapshots,
collect the result. The engine never writes anywhere; callers pull (like SimPy's run(until))."""

from __future__ import annotations

import time
from collections.abc import Iterator

from qnp_engine.backends.base import StateBackend
from qnp_engine.backends.recording import RecordingBackend, verify_report
from qnp_engine.backends.registry import make_backend
from qnp_engine.model.scenario import Scenario
from qnp_engine.sim.build import build_network
from qnp_engine.sim.result import RunResult, jain_index
from qnp_engine.sim.snapshot import LinkSnapshot, NodeSnapshot, RequestSnapshot, Snapshot


class Simulation:
    def __init__(self, scenario: Scenario, engine: str | StateBackend | None = None, keep_outcomes: bool = False,
                 verify_with: str | None = None, verify_sample: int = 20):
        """``verify_with`` names a second engine ("cudaq", "qiskit"): the run records each pair's
        operation history and, at the end, replays ``verify_sample`` delivered pairs on it."""
        self.scenario = scenario
        backend = engine if isinstance(engine, StateBackend) else make_backend(engine or scenario.simulation.engine)
        self.verifier = make_backend(verify_with) if verify_with else None
        if self.verifier is not None:
            backend = RecordingBackend(backend)
        self.verify_sample = verify_sample
        self.backend = backend
        self.net = build_network(scenario, backend, keep_outcomes, verify_sample if self.verifier else 0)
        self.net.collector.on_all_done = self._finish
        self.end_s = scenario.simulation.max_time_s
        self._wall = 0.0
        self._finished_early = False
        if not any(r.status in ("pending", "active") for r in self.net.collector.requests.values()):
            self._finished_early = True  # nothing admitted: nothing to simulate

    # -- running ----------------------------------------------------------------------------------
    def _finish(self) -> None:
        self._finished_early = True
        self.net.sched.stopped = True

    @property
    def now(self) -> float:
        return self.net.sched.now

    @property
    def done(self) -> bool:
        return self._finished_early or self.net.sched.now >= self.end_s or self._events_exhausted()

    def _events_exhausted(self) -> bool:
        limit = self.scenario.simulation.max_events
        return limit is not None and self.net.sched.events >= limit

    @property
    def progress(self) -> float:
        if self.done:
            return 1.0
        frac = self.now / self.end_s
        stats = [r for r in self.net.collector.requests.values() if r.status != "rejected"]
        if stats and all(r.pending_total for r in stats):
            frac = max(frac, min(r.delivered / r.pending_total for r in stats))
        return min(frac, 1.0)

    def advance(self, until_s: float) -> Snapshot:
        if not self.done:
            t0 = time.perf_counter()
            limit = self.scenario.simulation.max_events
            budget = None if limit is None else max(limit - self.net.sched.events, 0)
            self.net.sched.run_until(min(until_s, self.end_s), budget)
            self._wall += time.perf_counter() - t0
        return self.snapshot()

    def stream(self, slice_s: float | None = None) -> Iterator[Snapshot]:
        step = slice_s or self.end_s / 100.0
        t = self.now
        while not self.done:
            t = min(t + step, self.end_s)
            yield self.advance(t)

    def run(self) -> RunResult:
        self.advance(self.end_s)
        return self.result()

    # -- reading -----------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        net = self.net
        links = tuple(
            LinkSnapshot(lk.a, lk.b, lk.attempts, lk.pairs_generated, lk.pairs_discarded, lk.model.fidelity,
                         lk.model.success_probability)
            for lk in net.links
        )
        nodes = tuple(
            NodeSnapshot(name, sum(p.in_use for p in pools), sum(p.capacity for p in pools))
            for name, pools in net.pools.items()
        )
        requests = tuple(
            RequestSnapshot(r.name, r.src, r.dst, tuple(r.path), r.status, r.delivered, r.expired,
                            r.throughput_hz(), r.fidelity_mean, r.latency_mean_s)
            for r in net.collector.requests.values()
        )
        return Snapshot(self.now, net.sched.events, self.progress, links, nodes, requests)

    def result(self) -> RunResult:
        net = self.net
        col = net.collector
        links = [
            {"a": lk.a, "b": lk.b, "attempts": lk.attempts, "pairs_generated": lk.pairs_generated,
             "success_probability": lk.model.success_probability, "fidelity_mean": lk.model.fidelity,
             "pairs_discarded": lk.pairs_discarded,
             "measured_success_probability": lk.pairs_generated / lk.attempts if lk.attempts else 0.0}
            for lk in net.links
        ]
        requests = []
        for r in col.requests.values():
            status = r.status
            if self.done and status in ("active", "pending"):
                # A request without a pair count runs until the end of the run: it has ended, not
                # failed. One that wanted N pairs and got fewer is unfinished.
                status = "ended" if r.pending_total is None else "unfinished"
            test = col.tests.get(r.circuit) if r.circuit is not None else None
            requests.append({
                "name": r.name, "src": r.src, "dst": r.dst, "pairs_delivered": r.delivered,
                "throughput_hz": r.throughput_hz(), "fidelity_mean": r.fidelity_mean,
                "fidelity_ci95": list(r.fidelity_ci95()), "latency_mean_s": r.latency_mean_s,
                "latency_p95_s": r.latency_p95_s(), "pairs_expired": r.expired,
                "estimated_fidelity": test.estimated_fidelity() if test else None,
                "status": status, "path": list(r.path), "reason": r.reason, "circuit": r.circuit,
            })
        served = [q["throughput_hz"] for q in requests if q["status"] != "rejected"]
        verification = None
        if self.verifier is not None:
            report = verify_report(col.kept_states, self.verifier)
            verification = report.to_dict()
        return RunResult(
            verification=verification,
            scenario=self.scenario.name, seed=self.scenario.simulation.seed, engine=self.backend.name,
            sim_time_s=self.now, wall_time_s=self._wall, events=net.sched.events, links=links,
            requests=requests, jain_fairness=jain_index(served), engine_target=self.backend.target,
            invariant_violations=col.mismatches, outcomes=dict(col.outcomes),
        )


def run_scenario(scenario: Scenario, **kwargs) -> RunResult:
    return Simulation(scenario, **kwargs).run()
