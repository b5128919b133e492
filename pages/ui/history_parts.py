"""History page parts: the run table, the actions on one run (re-run, export, delete) and the comparison.

UI layer. Exports: the run record as JSON and its samples as CSV (``storage.export``), and the figures
drawn for the run as one offline HTML page. PNG: server-side export needs kaleido plus a Chrome, which
this app does not assume; every chart's 📷 toolbar button saves a PNG in the browser instead.
"""

from __future__ import annotations

import io
import json

import streamlit as st

from pages.ui.figures import figures_html
from pages.ui.launch import rerun
from pages.ui.live import STATUS_BADGE
from pages.ui.run_data import headline
from pages.ui.services import Services
from storage.errors import StorageError
from storage.export import run_record, write_samples_csv
from storage.models import ACTIVE_STATUSES, Run
from storage.runs import delete_run
from storage.samples import compare_runs

PNG_NOTE = ("PNG: use the 📷 button in each chart's toolbar (the browser saves the PNG; no server-side renderer "
            "is needed).")


def run_rows(runs: list[Run]) -> list[dict]:
    rows = []
    for r in runs:
        h = headline(r.summary)
        rows.append({"run": r.id, "status": STATUS_BADGE.get(r.status, r.status), "kind": r.kind,
                     "scenario": r.name, "label": r.label, "engine": r.engine, "seed": r.seed,
                     "created (UTC)": r.created_at.strftime("%Y-%m-%d %H:%M:%S") if r.created_at else "",
                     **h})
    return rows


def actions(svc: Services, run: Run, figures: dict) -> None:
    st.markdown("##### Actions")
    c1, c2, c3 = st.columns([1.2, 1.6, 1.2])
    with c1:
        if st.button("🔁 Re-run, same seed", key="rerun_same", width="stretch"):
            _rerun(svc, run, None)
        new_seed = st.number_input("New seed", value=int(run.seed or 0) + 1, step=1, key=f"new_seed_{run.id}")
        if st.button("🎲 Re-run with this seed", key="rerun_new", width="stretch"):
            _rerun(svc, run, int(new_seed))
    with c2:
        st.download_button("⬇️ Run record (JSON)", key="dl_json", width="stretch", file_name=f"run-{run.id}.json",
                           mime="application/json",
                           data=lambda: json.dumps(run_record(svc.engine, run.id), indent=2, default=str))
        st.download_button("⬇️ Samples (CSV)", key="dl_csv", width="stretch", file_name=f"run-{run.id}-samples.csv",
                           mime="text/csv", data=lambda: _csv(svc, run.id))
        if figures:
            st.download_button("⬇️ Figures (HTML)", key="dl_html", width="stretch", file_name=f"run-{run.id}.html",
                               mime="text/html", data=lambda: figures_html(figures, f"QNP Studio run {run.id}"))
        st.caption(PNG_NOTE)
    with c3:
        sure = st.checkbox("I want to delete this run", key=f"sure_{run.id}",
                           disabled=run.status in ACTIVE_STATUSES)
        if st.button("🗑️ Delete run", key="delete", disabled=not sure, width="stretch"):
            try:
                delete_run(svc.engine, run.id)
            except StorageError as exc:
                st.error(str(exc), icon="⚠️")
                return
            st.session_state.pop("history_open", None)
            st.toast(f"Deleted run {run.id}")
            st.rerun()


def _csv(svc: Services, run_id: int) -> str:
    buf = io.StringIO()
    write_samples_csv(svc.engine, run_id, buf)
    return buf.getvalue()


def _rerun(svc: Services, run: Run, seed: int | None) -> None:
    try:
        new_id = rerun(svc, run.id, seed)
    except (StorageError, ValueError) as exc:
        st.error(f"Not re-run: {exc}", icon="⚠️")
        return
    st.session_state["active_run_id"] = new_id
    st.query_params["run"] = str(new_id)
    st.switch_page("pages/run.py")


def comparison(svc: Services, a: int, b: int) -> None:
    cmp = compare_runs(svc.engine, a, b)
    rows = [{"quantity": r.metric if r.entity == "summary" else f"{r.entity} · {r.metric}",
             f"run {a}": r.a, f"run {b}": r.b, "difference (b − a)": r.delta}
            for r in cmp.rows if r.entity == "summary" and not r.metric.startswith("links.")]
    st.dataframe(rows, hide_index=True, width="stretch", key="compare_table")
    st.caption(f"Final results side by side: run {a} ({cmp.a.engine}, seed {cmp.a.seed}) vs run {b} "
               f"({cmp.b.engine}, seed {cmp.b.seed}).")
