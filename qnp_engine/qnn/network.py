"""Bell pairs for a distributed QNN from a QNP engine run (layer: qnn, above sim).

The chosen topology runs with one create-and-keep request per node pair the model's remote gates
cross (any requests of the file are replaced); each request's delivered fidelity and throughput
become that pair's Werner fidelity and pair rate. ``pair_fidelity`` / ``pair_rate_hz`` override.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qnp_engine.model import FieldError, Qos, Request, Scenario, ScenarioError, load_scenario, scenario_from_dict
from qnp_engine.qnn.config import DistributedConfig, QnnConfigError
from qnp_engine.qnn.distributed import Pair
from qnp_engine.sim import run_scenario


@dataclass(frozen=True)
class PairSupply:
    pair: Pair
    fidelity: float
    rate_hz: float | None  # None: unknown (only a fidelity was given)
    source: str  # "network" or "override"
    path: tuple[str, ...] = ()
    pairs_delivered: int = 0
    network_wall_time_s: float = 0.0

    def to_dict(self) -> dict:
        return {"nodes": list(self.pair), "fidelity": self.fidelity, "rate_hz": self.rate_hz, "source": self.source,
                "path": list(self.path), "pairs_delivered": self.pairs_delivered,
                "network_wall_time_s": self.network_wall_time_s}


def _scenario(cfg: DistributedConfig) -> Scenario:
    try:
        if cfg.topology is not None:
            return load_scenario(Path(cfg.topology))
        return scenario_from_dict(cfg.scenario)
    except ScenarioError as exc:
        where = "distributed.topology" if cfg.topology is not None else "distributed.scenario"
        raise QnnConfigError([FieldError(f"{where}.{e.path}" if e.path else where, e.message)
                              for e in exc.errors]) from None


def pair_supply(cfg: DistributedConfig, pairs: list[Pair], seed: int) -> dict[Pair, PairSupply]:
    """Fidelity and rate of Bell pairs for each node pair, from the network run or the overrides."""
    if not pairs:
        return {}
    needs_run = cfg.pair_fidelity is None or cfg.pair_rate_hz is None
    if needs_run and cfg.topology is None and cfg.scenario is None:
        # Only a fidelity given: the rate is unknown, and so is the network time per epoch.
        return {p: PairSupply(p, cfg.pair_fidelity or 1.0, cfg.pair_rate_hz, "override") for p in pairs}
    measured: dict[Pair, dict] = {}
    wall = 0.0
    if needs_run:
        scenario = _scenario(cfg)
        names = {n.name for n in scenario.topology.nodes}
        missing = [n for n in cfg.nodes if n not in names]
        if missing:
            raise QnnConfigError([FieldError("distributed.nodes", f"not in topology {scenario.name}: "
                                             f"{', '.join(missing)}")])
        requests = [Request(name=f"qnn-{u}-{v}", src=u, dst=v, qos=Qos.CREATE_AND_KEEP, pairs=cfg.pairs_per_request)
                    for u, v in pairs]
        sim = scenario.simulation.model_copy(update={"seed": seed})
        run = run_scenario(scenario.model_copy(update={"requests": requests, "simulation": sim}))
        wall = run.wall_time_s
        for (u, v), req in zip(pairs, requests, strict=True):
            r = run.request(req.name)
            if r["pairs_delivered"] == 0:
                reason = r.get("reason") or f"status {r['status']}"
                raise QnnConfigError([FieldError("distributed.nodes", f"the network delivered no pairs between "
                                                 f"{u} and {v} ({reason})")])
            measured[(u, v)] = r
    out = {}
    for p in pairs:
        r = measured.get(p)
        fidelity = cfg.pair_fidelity if cfg.pair_fidelity is not None else min(1.0, r["fidelity_mean"])
        rate = cfg.pair_rate_hz if cfg.pair_rate_hz is not None else r["throughput_hz"]
        source = "override" if r is None else "network"
        out[p] = PairSupply(p, float(fidelity), float(rate), source, tuple(r["path"]) if r else (),
                            r["pairs_delivered"] if r else 0, wall)
    return out
