"""Feed the key store from engine runs: re-run a finished scenario keeping outcomes, distil BBM92 keys.

Hub layer. The storage worker does not keep per-pair outcomes, so the hub replays the run in-process with
``keep_outcomes=True`` (same scenario, engine and seed give the same pairs), then runs ``run_bbm92`` per
measure-directly request and deposits the key for the request's pair of end nodes. Each pair's pre-shared
Wegman-Carter key is taken from and written back to the store (refilled from fresh key).

A simulation is replayable from its seed, so its pairs give key only once: the (scenario, engine, seed)
fingerprint is recorded and a second distillation of the same simulation is refused.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from hub.context import HubContext
from hub.jsonsafe import json_safe
from hub.keystore import pair_name
from hub.tables import QkdSession
from qnp_engine.apps import QkdParams, predicted_key_rate_hz, run_bbm92
from qnp_engine.model import Qos, Scenario, load_scenario
from qnp_engine.sim import Simulation
from storage.errors import StorageError
from storage.models import RunKind, RunStatus
from storage.runs import get_run


class AlreadyDistilled(StorageError):
    pass


_DISTIL_LOCK = threading.Lock()  # the fingerprint check and the deposit must not interleave


@dataclass(frozen=True)
class Fingerprint:
    value: str

    @classmethod
    def of(cls, scenario: Scenario, engine: str) -> Fingerprint:
        from qnp_engine.model import dump_scenario

        text = f"{engine}\n{scenario.simulation.seed}\n{dump_scenario(scenario)}"
        return cls(hashlib.sha256(text.encode()).hexdigest())


def _seeded(scenario: Scenario, seed: int | None) -> Scenario:
    if seed is None or seed == scenario.simulation.seed:
        return scenario
    return scenario.model_copy(update={"simulation": scenario.simulation.model_copy(update={"seed": seed})})


def distil_scenario(ctx: HubContext, scenario: Scenario, *, engine: str | None = None, run_id: int | None = None,
                    params: QkdParams | None = None) -> list[dict[str, Any]]:
    """Simulate (keeping outcomes) and distil a key per measure-directly request; returns the reports."""
    with _DISTIL_LOCK:
        return _distil(ctx, scenario, engine or scenario.simulation.engine, run_id, params)


def _distil(ctx: HubContext, scenario: Scenario, engine: str, run_id: int | None,
            params: QkdParams | None) -> list[dict[str, Any]]:
    fp = Fingerprint.of(scenario, engine).value
    with ctx.session() as s:
        if s.exec(select(QkdSession).where(QkdSession.fingerprint == fp)).first() is not None:
            raise AlreadyDistilled(
                "this simulation (same scenario, engine and seed) was already distilled: its pairs cannot give "
                "new key; run it again with another seed")
    result = Simulation(scenario, engine=engine, keep_outcomes=True).run()
    by_name = {r["name"]: r for r in result.to_dict()["requests"]}
    reports = []
    for request in scenario.requests:
        if request.qos != Qos.MEASURE_DIRECTLY:
            continue
        outcomes = result.outcomes.get(request.name, [])[: ctx.settings.max_qkd_pairs]
        src, dst = request.src, request.dst
        seed = int.from_bytes(hashlib.sha256(f"{fp}:{request.name}".encode()).digest()[:8], "big") >> 1
        qkd = run_bbm92(outcomes, seed, ctx.keystore.auth_key(src, dst), params, duration_s=result.sim_time_s)
        ctx.keystore.set_auth_key(src, dst, qkd.next_auth_key)
        source = f"run {run_id} request {request.name}" if run_id is not None else f"request {request.name}"
        ctx.keystore.deposit(src, dst, qkd.key, source=source)
        delivered = by_name.get(request.name, {})
        report = {
            "request": request.name, "src": src, "dst": dst, "pair": pair_name(src, dst), "run_id": run_id,
            "pairs_delivered": delivered.get("pairs_delivered", len(outcomes)),
            "throughput_hz": delivered.get("throughput_hz"), "fidelity_mean": delivered.get("fidelity_mean"),
            "predicted_key_rate_hz": predicted_key_rate_hz(delivered.get("fidelity_mean") or 0.25,
                                                           delivered.get("throughput_hz") or 0.0),
            **qkd.to_dict(),
        }
        report = json_safe(report)
        with ctx.session() as s:
            s.add(QkdSession(pair=report["pair"], run_id=run_id, request=request.name, report=report,
                             fingerprint=fp))
            s.commit()
        reports.append(report)
    return reports


def distil_run(ctx: HubContext, run_id: int, params: QkdParams | None = None) -> list[dict[str, Any]]:
    """Distil keys from a finished entanglement run of the run history."""
    run = get_run(ctx.engine, run_id)
    if run.kind != RunKind.ENTANGLEMENT.value:
        raise StorageError(f"run {run_id} is a {run.kind} run; only entanglement runs deliver pairs for QKD")
    if run.status != RunStatus.DONE.value:
        raise StorageError(f"run {run_id} is {run.status}; keys can be distilled once it is done")
    scenario = _seeded(load_scenario(run.spec), run.seed)
    return distil_scenario(ctx, scenario, engine=run.engine, run_id=run_id, params=params)


def sessions(ctx: HubContext, limit: int = 100) -> list[dict[str, Any]]:
    from sqlmodel import col

    with ctx.session() as s:
        rows = s.exec(select(QkdSession).order_by(col(QkdSession.id).desc()).limit(limit)).all()
    return [{"id": r.id, "created_at": r.created_at.isoformat(timespec="seconds"), **r.report} for r in rows]
