"""Starting runs from the UI: engine availability, the launch form, submission through the run manager.

UI layer. Runs never execute in the Streamlit process: the storage layer's run manager starts a worker
process and the pages poll the database.
"""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass

import streamlit as st

from pages.ui import editors, session
from pages.ui.draft import Draft, error_lines, to_document
from pages.ui.services import Services
from qnp_engine.compiled import status as engine_build_status
from qnp_engine.model import ScenarioError

ENGINES = {
    "closed-form": "Closed form — exact Bell-diagonal algebra (fastest)",
    "qiskit": "Qiskit-Aer — density-matrix circuits",
    "cudaq": "CUDA-Q — density-matrix kernels",
}


# The Python package each optional engine needs, and the extra that installs it.
ENGINE_PACKAGES = {"cudaq": ("cudaq", "cudaq"), "qiskit": ("qiskit_aer", "qiskit")}


@st.cache_resource(show_spinner=False)
def engine_problems() -> dict[str, str | None]:
    """Engine name -> None when its package is installed here, else why not (with the install command).

    Only looks for the package (importing CUDA-Q and Qiskit-Aer in the app server would cost seconds on the
    first visit); an engine that is installed but broken fails its run in the worker with the reason.
    """
    out: dict[str, str | None] = {}
    for name in ENGINES:
        package, extra = ENGINE_PACKAGES.get(name, (None, None))
        if package is None or importlib.util.find_spec(package) is not None:
            out[name] = None
        else:
            out[name] = f"the {package} package is not installed (pip install 'qnp-studio[{extra}]')"
    return out


@dataclass(frozen=True)
class LaunchSettings:
    engine: str
    seed: int
    duration_s: float
    label: str = ""


def run_document(draft: Draft, settings: LaunchSettings) -> dict:
    """The scenario document to submit: the draft with the run's engine, seed and duration."""
    doc = to_document(copy.deepcopy(draft))
    sim = dict(doc.get("simulation") or {})
    sim.update(engine=settings.engine, seed=int(settings.seed), max_time_s=float(settings.duration_s))
    doc["simulation"] = sim
    return doc


def launch(svc: Services, draft: Draft, settings: LaunchSettings) -> int:
    """Queue the run and start it; returns the run id. Raises ``ScenarioError`` for an invalid draft."""
    from qnp_engine.model import scenario_from_dict

    scenario = scenario_from_dict(run_document(draft, settings))  # field-named errors before anything is stored
    run = svc.manager.submit_entanglement(scenario, engine_name=settings.engine, seed=settings.seed,
                                          label=settings.label)
    return int(run.id)


def rerun(svc: Services, run_id: int, seed: int | None) -> int:
    """Submit a stored run again, with the same seed (None) or a new one."""
    from storage.runs import get_run

    old = get_run(svc.engine, run_id)
    if old.kind == "qnn":
        import json

        config = json.loads(old.spec)
        if seed is not None:
            config["seed"] = seed
        return int(svc.manager.submit_qnn(config, label=old.label).id)
    new = svc.manager.submit_entanglement(old.spec, engine_name=old.engine, seed=old.seed if seed is None else seed,
                                          label=old.label)
    return int(new.id)


def engine_build_text() -> str:
    """Which build of the simulator new runs get (results are the same; only the speed differs)."""
    build = engine_build_status()
    if build.compiled:
        return "compiled (mypyc): identical results, about 2x the speed of pure Python"
    if build.state == "building":
        return "pure Python for now: the compiled build (about 2x faster) is being made in the background"
    return build.reason


def launch_form(svc: Services, draft: dict) -> None:
    scenario, errors = session.validation()
    sim = draft.get("simulation") or {}
    problems = engine_problems()
    c1, c2, c3, c4 = st.columns([1.6, 0.8, 0.8, 1.0])
    engine = c1.radio("Engine", list(ENGINES), format_func=lambda n: ENGINES[n] + ("" if problems[n] is None
                      else " (unavailable)"), key="run_engine", index=list(ENGINES).index(sim.get("engine"))
                      if sim.get("engine") in ENGINES else 0)
    seed = c2.number_input("Seed", value=int(sim.get("seed") or 1), step=1, key="run_seed",
                           help="same seed → same result")
    duration = c3.number_input("Duration (s, simulated)", value=float(sim.get("max_time_s") or 10.0), key="run_dur",
                               help="simulated seconds; the run also ends when every request is served")
    label = c4.text_input("Label (optional)", key="run_label", placeholder="e.g. baseline")
    if problems[engine] is not None:
        st.error(f"The **{engine}** engine is not available here: {problems[engine]}", icon="🛑")
    if scenario is None:
        editors.show_errors(draft, errors)
        st.info("Fix the problems above in the Designer or on Requests & QoS to launch.", icon="ℹ️")
    clicked = st.button("🚀 Launch run", type="primary", key="launch",
                        disabled=scenario is None or problems[engine] is not None)
    st.caption(f"Simulator: {engine_build_text()}")
    if clicked:
        if duration <= 0:
            st.error("Duration: must be greater than 0 s.", icon="⚠️")
            return
        try:
            run_id = launch(svc, draft, LaunchSettings(engine, int(seed), float(duration), label))
        except ScenarioError as exc:
            st.error("Not launched:\n" + "\n".join(f"- {x}" for x in error_lines(draft, exc.errors)), icon="⚠️")
            return
        session.set_active_run(run_id)
        st.query_params["run"] = str(run_id)
        st.rerun()
