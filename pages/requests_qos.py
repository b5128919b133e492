"""Requests & QoS page: entanglement requests between end nodes, and the control plane's plan for them
(route, per-link fidelity needed, feasibility) before anything runs."""

from __future__ import annotations

import streamlit as st

from pages.ui import editors, session
from pages.ui.figures import MapCircuit, network_figure
from pages.ui.maps import draft_map
from pages.ui.plans import preview
from pages.ui.router import run_page

ROUTING = ["fidelity", "hops", "length"]
HELP = ("**QoS mode**: *measure_directly* pairs are measured at once (e.g. QKD); *create_and_keep* pairs are held "
        "in memory for the application. **min fidelity** is the target for each delivered pair; **pairs** and "
        "**rate** the amount; **cutoff** discards pairs held longer than that; **deadline** ends the request.")


def routing_choice(draft: dict) -> None:
    sim = dict(draft.get("simulation") or {})
    current = sim.get("routing") or "fidelity"
    pick = st.radio("Route by", ROUTING, index=ROUTING.index(current) if current in ROUTING else 0, horizontal=True,
                    key=f"routing_{session.editor_version()}", help="metric the control plane minimises/maximises")
    if pick != current:
        sim["routing"] = pick
        session.set_draft(dict(draft, simulation=sim))
        st.rerun()


def main() -> None:
    st.title("🎯 Requests & QoS")
    draft = session.get_draft()
    st.caption(f"Network **{draft.get('name')}** (from {session.draft_source()}) — edit its topology in the Designer.")
    st.caption(HELP)
    scenario, errors = session.validation()
    editors.show_errors(draft, errors, "requests")
    editors.request_form(draft)
    editors.request_table(draft)
    routing_choice(draft)
    other = [e for e in errors if not e.path.startswith("requests")]
    if other:
        editors.show_errors(draft, other)
        st.info("Fix the problems above (in the Designer) to see the plan.", icon="ℹ️")
    if scenario is None:
        return
    if not scenario.requests:
        st.info("No requests yet: add a row to the table (src and dst must be end nodes).", icon="ℹ️")
        return
    view = preview(scenario)
    st.subheader("Plan before running")
    if view.all_feasible:
        st.success(f"All {len(view.plans)} request(s) can meet their fidelity targets.", icon="✅")
    else:
        bad = [p.request for p in view.plans if not p.feasible]
        st.warning(f"Not feasible as set: {', '.join(bad)} — see *why not*. They would be rejected by admission "
                   "control if you run now.", icon="⚠️")
    warnings = view.warnings()
    if warnings:
        st.warning("These requests can stall for ever:\n\n" + "\n".join(f"- {w}" for w in warnings), icon="🔒")
    st.dataframe(view.rows(), hide_index=True, width="stretch", column_config={
        "link fidelity required": st.column_config.NumberColumn(format="%.4f"),
        "worst-case delivered fidelity": st.column_config.NumberColumn(format="%.4f"),
        "rate estimate (Hz)": st.column_config.NumberColumn(format="%.4g"),
        "cutoff (ms)": st.column_config.NumberColumn(format="%.4g")}, key="plan_table")
    nodes, links, lat0 = draft_map(draft)
    circuits = [MapCircuit(p.request, tuple(p.path), p.fidelity_bound,
                           f"{p.request}: {' → '.join(p.path)}<br>worst-case fidelity {p.fidelity_bound:.4f}")
                for p in view.plans if p.path]
    st.plotly_chart(network_figure(nodes, links, circuits, geo_lat0=lat0, title="Planned routes", height=430),
                    key="plan_map")
    st.caption("Bands: planned virtual circuits coloured by their worst-case delivered fidelity; links by the "
               "fidelity of the pairs they herald (one colour scale everywhere).")


run_page(main)
