"""The view of one run: status, progress, cancel, the fidelity map, key figures and charts over sim time.

UI layer. Reads only the database (latest snapshot and time series through ``storage.samples``), so
it is cheap enough to redraw every second from a ``run_every`` fragment while a worker writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import plotly.graph_objects as go
import streamlit as st

from pages.ui.figures import Series, network_figure, timeseries_figure
from pages.ui.maps import run_map
from pages.ui.run_data import REQUEST_METRICS, RunContext, key_figures, request_names, run_context, scaled
from pages.ui.services import Services
from storage.models import ACTIVE_STATUSES, Run
from storage.samples import run_with_latest, time_series


@dataclass
class Panel:
    run: Run
    figures: dict[str, go.Figure] = field(default_factory=dict)


STATUS_BADGE = {"queued": "⏳ queued", "running": "🔄 running", "done": "✅ done", "failed": "❌ failed",
                "cancelled": "⏹️ cancelled"}
CONTEXTS = "run_contexts"
SERIES = "run_series"


@st.cache_data(max_entries=32, show_spinner=False)
def _shared_context(spec: str, summary_json: str) -> RunContext:
    """Shared by every session (several viewers of one run, History's compare): parsing and planning a
    100-node scenario costs tens of milliseconds, which the first map of each new session would wait for."""
    return run_context(spec, json.loads(summary_json) if summary_json else None)


def _context(run: Run) -> RunContext:
    cache = st.session_state.setdefault(CONTEXTS, {})
    key = (run.id, run.summary is not None)
    if key not in cache:
        summary = json.dumps(run.summary, sort_keys=True, default=str) if run.summary is not None else ""
        cache[key] = _shared_context(run.spec, summary)
    return cache[key]


def _series(svc: Services, run: Run, names: list[str]) -> dict[str, list[Series]]:
    """Per metric, one series per request; read incrementally (only steps newer than the cached ones)."""
    cache = st.session_state.setdefault(SERIES, {})
    entry = cache.get(run.id)
    if entry is None or set(entry["names"]) != set(names):
        entry = {"names": names, "step": -1, "data": {}}
        cache[run.id] = entry
    if run.last_step > entry["step"]:
        for name in names:
            for metric in REQUEST_METRICS:
                pts = time_series(svc.engine, run.id, f"request:{name}", metric, after_step=entry["step"])
                t, v = entry["data"].setdefault((name, metric), ([], []))
                t += [p.sim_time_s for p in pts]
                v += [p.value for p in pts]
        entry["step"] = run.last_step
    return {m: [Series(n, *entry["data"].get((n, m), ([], []))) for n in names] for m in REQUEST_METRICS}


def run_label(run: Run) -> str:
    """How a run is named in pickers: stable (no status: a picker keeps the label it first showed)."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M") if run.created_at else ""
    tag = f" · {run.label}" if run.label else ""
    return f"#{run.id} · {run.name}{tag} · {run.engine or ''} · seed {run.seed} · {when} UTC"


def status_line(run: Run, sim_time_s: float | None, max_time_s: float | None) -> None:
    badge = STATUS_BADGE.get(run.status, run.status)
    when = f" · sim time {sim_time_s:.3g} s" if sim_time_s is not None else ""
    of = f" of {max_time_s:g} s" if max_time_s and sim_time_s is not None else ""
    st.progress(min(max(run.progress, 0.0), 1.0),
                text=f"**Run {run.id}** · {run.name} · {badge} · {run.engine} · seed {run.seed}{when}{of} · "
                     f"{run.progress:.0%}")


def run_top(svc: Services, run_id: int, *, key: str, map_height: int = 430, compact: bool = False) -> Panel:
    """Status, cancel, the fidelity map and the key figures: the part of a run view that changes fastest."""
    view = run_with_latest(svc.engine, run_id)
    run, latest = view.run, view.latest.values
    panel = Panel(run)
    ctx = _context(run)
    bar, stop = st.columns([0.84, 0.16], vertical_alignment="bottom")
    with bar:
        status_line(run, view.latest.sim_time_s, ctx.max_time_s)
    if run.status in ACTIVE_STATUSES and stop.button("⏹️ Cancel", key=f"{key}_cancel", width="stretch"):
        svc.manager.cancel(run.id)
        st.toast(f"Cancelling run {run.id}…")
    if run.status == "failed":
        st.error(f"**Run {run.id} failed.** {run.error or 'No reason was recorded.'}", icon="❌")
    elif run.status == "cancelled":
        st.warning(f"Run {run.id} was cancelled. {run.error or ''}", icon="⏹️")
    if ctx.draft is None:
        st.info(f"No map: the submitted scenario does not load ({ctx.problem}).")
        return panel
    # Compact (side-by-side comparison): map and key figures stacked.
    left, right = (st.container(), st.container()) if compact else st.columns([0.6, 0.4], gap="small")
    with left:
        rows = key_figures(run.summary, latest, ctx.qkd_requests)
        rates = {str(r["request"]): r["key rate (bit/s)"] for r in rows}
        nodes, links, circuits, lat0 = run_map(ctx.draft, latest, ctx.paths, rates)
        fig = network_figure(nodes, links, circuits, geo_lat0=lat0, height=map_height, show_occupancy=True,
                             title=map_title(run, view.latest.step))
        st.plotly_chart(fig, key=f"{key}_map")
        panel.figures["fidelity_map"] = fig
    with right:
        _figures(run, rows)
    return panel


def map_title(run: Run, step: int | None) -> str:
    """Before the worker's first sample the map is the scenario itself: its network and the circuits the
    control plane planned, grey until measured. Saying so beats a blank space or a "step –"."""
    if step is None:
        return f"Fidelity map · {run.name} · planned circuits, no samples yet"
    return f"Fidelity map · {run.name} · step {step}"


def _figures(run: Run, rows: list[dict]) -> None:
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config={
            "fidelity": st.column_config.NumberColumn(format="%.4f"),
            "pairs/s": st.column_config.NumberColumn(format="%.4g"),
            "latency (ms)": st.column_config.NumberColumn(format="%.3g"),
            "key rate (bit/s)": st.column_config.NumberColumn(format="%.4g", help="predicted BBM92 secret-key "
                                                              "rate (asymptotic) for measure-directly requests"),
            "expired": None, "reason": None})
        for row in rows:
            if row.get("reason"):
                st.caption(f"**{row['request']}** ({row['status']}): {row['reason']}")
    else:
        st.caption("No samples yet." if run.status in ACTIVE_STATUSES else "This run recorded no requests.")
    if run.summary:
        s = run.summary
        st.caption(f"{s.get('events', 0):,} events · {s.get('sim_time_s', 0):.3g} s simulated in "
                   f"{s.get('wall_time_s', 0):.2f} s wall · Jain fairness {s.get('jain_fairness') or 0:.3f}")


def run_charts(svc: Services, run_id: int, *, key: str) -> dict[str, go.Figure]:
    """Throughput, delivered fidelity and latency of every request over simulated time."""
    view = run_with_latest(svc.engine, run_id)
    ctx = _context(view.run)
    series = _series(svc, view.run, request_names(view.latest.values, ctx))
    figures = {}
    cols = st.columns(len(REQUEST_METRICS))
    for col, (metric, (title, y_title, factor)) in zip(cols, REQUEST_METRICS.items(), strict=True):
        with col:
            # Fidelity on a fixed axis (a constant 1.0 would otherwise autoscale to 0..2).
            y_range = (0.45, 1.02) if metric == "fidelity" else None
            fig = timeseries_figure(scaled(series[metric], factor), y_title=y_title, title=title, y_range=y_range)
            st.plotly_chart(fig, key=f"{key}_{metric}")
            figures[metric] = fig
    return figures


def run_panel(svc: Services, run_id: int, *, key: str, map_height: int = 430, compact: bool = False) -> Panel:
    """The whole view of a run, drawn once (History); the Run page refreshes the two parts separately."""
    panel = run_top(svc, run_id, key=key, map_height=map_height, compact=compact)
    if not compact and _context(panel.run).draft is not None:
        panel.figures |= run_charts(svc, run_id, key=key)
    return panel
