"""Stored runs turned into what the run views draw: the run's network, circuit paths, key figures, series.

UI layer, pure (no ``st.*``). A run's scenario is the YAML it was submitted with (``Run.spec``); the
circuit paths come from its final summary when there is one, else from the control plane's plan.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pages.ui.draft import Draft, draft_from_scenario, scenario_from_yaml
from pages.ui.figures import Series
from qnp_engine.apps.keyrate import predicted_key_rate_hz
from qnp_engine.model import ScenarioError

REQUEST_METRICS = {  # metric -> (chart title, y axis title, scale to display units)
    "throughput_hz": ("Throughput", "delivered pairs / s", 1.0),
    "fidelity": ("Delivered fidelity", "fidelity", 1.0),
    "latency_s": ("Latency", "mean latency (ms)", 1e3),
}


@dataclass(frozen=True)
class RunContext:
    draft: Draft | None
    paths: dict[str, list[str]] = field(default_factory=dict)
    max_time_s: float | None = None
    problem: str = ""  # why there is no map (a spec that does not load)

    @property
    def qkd_requests(self) -> set[str]:
        """Requests whose pairs are measured at once: a QKD key rate means something for them."""
        reqs = (self.draft or {}).get("requests") or []
        return {str(r.get("name")) for r in reqs if r.get("qos") == "measure_directly"}


def key_rate_hz(fidelity: float | None, throughput_hz: float | None) -> float | None:
    """Asymptotic BBM92 secret-key rate from delivered fidelity and pair rate (engine's apps layer, R10)."""
    if fidelity is None or throughput_hz is None or not math.isfinite(fidelity) or not math.isfinite(throughput_hz):
        return None
    return predicted_key_rate_hz(fidelity, throughput_hz)


def run_context(spec: str, summary: Mapping | None) -> RunContext:
    try:
        scenario = scenario_from_yaml(spec)
    except ScenarioError as exc:
        return RunContext(None, problem="; ".join(str(e) for e in exc.errors[:5]))
    draft = draft_from_scenario(scenario)
    paths: dict[str, list[str]] = {}
    for req in (summary or {}).get("requests") or []:
        if req.get("path"):
            paths[str(req["name"])] = [str(p) for p in req["path"]]
    if not paths and scenario.requests:
        from qnp_engine.control import plan_requests

        paths = {p.request: list(p.path) for p in plan_requests(scenario) if p.path}
    return RunContext(draft, paths, scenario.simulation.max_time_s)


def request_names(latest: Mapping[tuple[str, str], float], ctx: RunContext) -> list[str]:
    names = {e.split(":", 1)[1] for e, _ in latest if e.startswith("request:")}
    names |= set(ctx.paths)
    if ctx.draft:
        names |= {str(r.get("name")) for r in ctx.draft.get("requests") or []}
    return sorted(names)


def scaled(series: Sequence[Series], factor: float) -> list[Series]:
    if factor == 1.0:
        return list(series)
    return [Series(s.name, s.t, [v * factor for v in s.v]) for s in series]


def _finite(x) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def key_figures(summary: Mapping | None, latest: Mapping[tuple[str, str], float],
                qkd: set[str] | frozenset[str] = frozenset()) -> list[dict]:
    """One row per request: final numbers from the summary when done, else the latest live values.

    ``qkd``: names of measure-directly requests, which also get a predicted QKD key rate.
    """
    rows = []
    if summary and summary.get("requests"):
        for r in summary["requests"]:
            fid, thr = _finite(r.get("fidelity_mean")), _finite(r.get("throughput_hz"))
            lat = _finite(r.get("latency_mean_s"))
            rows.append({"request": r.get("name"), "status": r.get("status"), "pairs": r.get("pairs_delivered"),
                         "fidelity": fid, "pairs/s": thr, "latency (ms)": lat * 1e3 if lat is not None else None,
                         "key rate (bit/s)": key_rate_hz(fid, thr) if r.get("name") in qkd else None,
                         "expired": r.get("pairs_expired"), "reason": r.get("reason") or ""})
        return rows
    names = sorted({e.split(":", 1)[1] for e, _ in latest if e.startswith("request:")})
    for name in names:
        def get(metric: str, name: str = name) -> float | None:
            return latest.get((f"request:{name}", metric))

        lat = get("latency_s")
        delivered = get("pairs_delivered")
        fid, thr = (get("fidelity") if delivered else None), get("throughput_hz")
        rows.append({"request": name, "status": "running", "pairs": int(delivered or 0), "fidelity": fid,
                     "pairs/s": thr, "latency (ms)": lat * 1e3 if lat is not None and delivered else None,
                     "key rate (bit/s)": key_rate_hz(fid, thr) if name in qkd else None,
                     "expired": int(get("pairs_expired") or 0), "reason": ""})
    return rows


def headline(summary: Mapping | None) -> dict[str, float | None]:
    """Run-level numbers for the history table."""
    if not summary:
        return {"pairs": None, "mean fidelity": None, "throughput (pairs/s)": None}
    reqs = summary.get("requests") or []
    pairs = sum(int(r.get("pairs_delivered") or 0) for r in reqs)
    fids = [(r.get("fidelity_mean"), r.get("pairs_delivered") or 0) for r in reqs if _finite(r.get("fidelity_mean"))]
    weight = sum(w for _, w in fids)
    mean_f = sum(f * w for f, w in fids) / weight if weight else None
    thr = sum(_finite(r.get("throughput_hz")) or 0.0 for r in reqs)
    return {"pairs": pairs, "mean fidelity": mean_f, "throughput (pairs/s)": thr}
