"""Run page: launch the current network in the background and watch it live (map, charts, progress, cancel).

The run executes in a worker process started by the storage layer's run manager; this page only reads
the database, from a fragment that reruns every second while the run is active. Leave and come back:
the run keeps going, and ``?run=<id>`` in the URL re-attaches to it.
"""

from __future__ import annotations

import streamlit as st

from pages.ui import session
from pages.ui.launch import launch_form
from pages.ui.live import run_charts, run_label, run_top
from pages.ui.router import run_page
from pages.ui.services import Services, services
from storage.errors import RunNotFound
from storage.models import ACTIVE_STATUSES
from storage.runs import get_run, list_runs

MAP_EVERY_S = 0.9  # a fragment's timer starts when its previous run ends: 0.9 s keeps the map at >= 1 refresh/s
CHARTS_EVERY_S = 3.0


def pick_run(svc: Services) -> int | None:
    """The run to watch: ?run= in the URL, else the one launched last in this session, else none."""
    if "run" in st.query_params:
        try:
            session.set_active_run(int(st.query_params["run"]))
        except ValueError:
            st.warning(f"`?run={st.query_params['run']}` is not a run number.")
    runs = list_runs(svc.engine, kind="entanglement", limit=30)
    ids = [r.id for r in runs]
    active = session.active_run()
    if active is not None and active not in ids:
        ids.insert(0, active)
    if not ids:
        st.info("No runs yet: launch one above.", icon="ℹ️")
        return None
    labels = {r.id: run_label(r) for r in runs}
    choice = st.selectbox("Watching run", ids, index=ids.index(active) if active in ids else 0,
                          format_func=lambda i: labels.get(i, f"#{i}"), key=f"watch_{active}")
    if choice != active:
        session.set_active_run(choice)
        st.query_params["run"] = str(choice)
    return choice


def watch(svc: Services, run_id: int) -> None:
    try:
        polling = get_run(svc.engine, run_id).status in ACTIVE_STATUSES
    except RunNotFound as exc:
        st.warning(str(exc))
        return

    # The map refreshes every second; the charts, which read one series per request and metric, less often.
    @st.fragment(run_every=MAP_EVERY_S if polling else None)
    def live_map() -> None:
        run = run_top(svc, run_id, key="live").run
        if polling and run.status not in ACTIVE_STATUSES:
            st.rerun()  # a full rerun re-creates the fragments without run_every: polling stops

    @st.fragment(run_every=CHARTS_EVERY_S if polling else None)
    def live_charts() -> None:
        run_charts(svc, run_id, key="live")

    live_map()
    live_charts()


def main() -> None:
    st.title("▶️ Run")
    svc = services()
    if svc is None:
        return
    draft = session.get_draft()
    watching = session.active_run() is not None or "run" in st.query_params
    # A different label once a run is watched: a new expander, collapsed, so the live view fits the screen.
    label = "🚀 Launch another run of" if watching else "🚀 Launch"
    with st.expander(f"{label} **{draft.get('name')}** ({len(draft.get('requests') or [])} requests)",
                     expanded=not watching):
        launch_form(svc, draft)
    run_id = pick_run(svc)
    if run_id is not None:
        watch(svc, run_id)


run_page(main)
