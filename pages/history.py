"""History page: every run with its status and key figures; open one, compare two, re-run, export, delete."""

from __future__ import annotations

import streamlit as st

from pages.ui.history_parts import actions, comparison, run_rows
from pages.ui.live import run_label, run_panel
from pages.ui.router import run_page
from pages.ui.services import services
from storage.errors import RunNotFound
from storage.models import ACTIVE_STATUSES
from storage.runs import list_runs

KINDS = {"all": None, "entanglement": "entanglement", "QNN": "qnn"}


def main() -> None:
    st.title("🗂️ History")
    svc = services()
    if svc is None:
        return
    c1, c2 = st.columns([1, 2])
    kind = c1.radio("Kind", list(KINDS), horizontal=True, key="history_kind")
    text = c2.text_input("Filter by scenario or label", key="history_filter", placeholder="e.g. chain")
    runs = list_runs(svc.engine, kind=KINDS[kind], name=text or None, limit=200)
    if not runs:
        st.info("No runs yet: launch one on the ▶️ Run page or try the demo on 🏠 Home.", icon="ℹ️")
        return
    st.dataframe(run_rows(runs), hide_index=True, width="stretch", height=min(38 + 35 * len(runs), 280),
                 key="history_table", column_config={
                     "mean fidelity": st.column_config.NumberColumn(format="%.4f"),
                     "throughput (pairs/s)": st.column_config.NumberColumn(format="%.4g")})
    ids = [r.id for r in runs]
    labels = {r.id: run_label(r) for r in runs}
    tab_open, tab_compare = st.tabs(["🔎 Open a run", "⚖️ Compare two runs"])
    with tab_open:
        pick = st.selectbox("Run", ids, format_func=labels.get, key="history_open")
        try:
            panel = run_panel(svc, pick, key="hist", map_height=400)
        except RunNotFound as exc:
            st.warning(str(exc))
            return
        if panel.run.status in ACTIVE_STATUSES:
            st.caption("Still running: watch it live on the ▶️ Run page.")
        actions(svc, panel.run, panel.figures)
    with tab_compare:
        picks = st.multiselect("Pick two runs", ids, max_selections=2, format_func=labels.get, key="history_cmp",
                               default=ids[:2] if len(ids) >= 2 else None)
        if len(picks) != 2:
            st.caption("Pick two runs to see them side by side.")
            return
        comparison(svc, picks[0], picks[1])
        left, right = st.columns(2)
        for col, rid in zip((left, right), picks, strict=True):
            with col:
                run_panel(svc, rid, key=f"cmp{rid}", map_height=340, compact=True)


run_page(main)
