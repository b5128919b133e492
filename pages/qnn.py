"""QNN page: configure a quantum neural network training, launch it in the background, watch loss and accuracy."""

from __future__ import annotations

import streamlit as st

from pages.ui.live import STATUS_BADGE, run_label
from pages.ui.qnn_parts import config_form, curves, training_available
from pages.ui.router import run_page
from pages.ui.services import services
from storage.models import ACTIVE_STATUSES
from storage.runs import get_run, list_runs

RUN_KEY = "qnn_run_id"


def watch(svc, run_id: int) -> None:
    polling = get_run(svc.engine, run_id).status in ACTIVE_STATUSES

    @st.fragment(run_every=1.0 if polling else None)
    def live() -> None:
        run = get_run(svc.engine, run_id)
        st.progress(min(max(run.progress, 0.0), 1.0),
                    text=f"**QNN run {run.id}** · {run.name} · {STATUS_BADGE.get(run.status, run.status)} · "
                         f"{run.engine} · seed {run.seed} · {run.progress:.0%}")
        if run.status in ACTIVE_STATUSES and st.button("⏹️ Cancel training", key="qnn_cancel"):
            svc.manager.cancel(run.id)
        if run.status == "failed":
            st.error(f"**QNN run {run.id} failed.** {run.error or ''}", icon="❌")
        curves(svc, run)
        if polling and run.status not in ACTIVE_STATUSES:
            st.rerun()

    live()


def main() -> None:
    st.title("🧠 QNN")
    st.markdown("Train a quantum neural network (variational classifier or regressor) on a small dataset, with "
                "CUDA-Q or Qiskit, in the background; loss and accuracy curves update live.")
    svc = services()
    if svc is None:
        return
    problem = training_available()
    if problem:
        st.info(f"QNN training is not available in this installation yet: {problem}. The configuration form below "
                "already validates settings.", icon="ℹ️")
    watching = st.session_state.get(RUN_KEY) is not None
    label = "⚙️ Configure and launch another training" if watching else "⚙️ Configure and launch"
    with st.expander(label, expanded=not watching):
        run_id = config_form(svc, can_launch=problem is None)
    if run_id is not None:
        st.session_state[RUN_KEY] = run_id
    runs = list_runs(svc.engine, kind="qnn", limit=30)
    if not runs:
        st.caption("No QNN runs yet.")
        return
    ids = [r.id for r in runs]
    current = st.session_state.get(RUN_KEY)
    pick = st.selectbox("Watching QNN run", ids, index=ids.index(current) if current in ids else 0,
                        format_func=lambda i: next(run_label(r) for r in runs if r.id == i),
                        key=f"qnn_watch_{current}")
    st.session_state[RUN_KEY] = pick
    watch(svc, pick)


run_page(main)
